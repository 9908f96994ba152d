using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>What a <see cref="ScriptedSource"/> does on one connection.</summary>
public enum ConnectionScript
{
    /// <summary>Answers HASHES and GET with the true hash list and bytes.</summary>
    Honest,

    /// <summary>Answers the first request with ERROR 4 (busy) and closes, as a peer over its per-address cap does.</summary>
    Busy,

    /// <summary>Answers the first GET with its DATA header and half the chunk, then closes the connection.</summary>
    DiesInFirstChunk,

    /// <summary>Answers GET with its DATA header, then drips the chunk one byte every <see cref="ScriptedSource.DripInterval"/>.</summary>
    DripsChunks,

    /// <summary>Answers HASHES with the true HASH_LIST, dripped one byte every <see cref="ScriptedSource.DripInterval"/>.</summary>
    DripsHashList,

    /// <summary>Answers HASHES and GET with the header of a 16 MiB HASH_LIST, then nothing.</summary>
    SendsHugeFrames,
}

/// <summary>
/// A source written in the test with the Protocol library, whose connections each follow a
/// script chosen by their number (0 for the first accepted): it listens on 127.0.0.1 (port 0),
/// shares one file held in memory, and counts what it served per connection.
/// </summary>
internal sealed class ScriptedSource : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly byte[] _content;
    private readonly HashListMessage _hashList;
    private readonly Func<int, ConnectionScript> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<Task> _connections = [];
    private readonly List<int> _getsAnswered = [];
    private readonly Task _accepting;

    public ScriptedSource(byte[] content, Func<int, ConnectionScript> script)
    {
        _content = content;
        _script = script;
        var chunks = (int)HashListMessage.ChunkCount((ulong)content.Length);
        var digests = new byte[chunks * Limits.IdLength];
        for (var chunk = 0; chunk < chunks; chunk++)
        {
            var offset = chunk * Limits.ChunkSize;
            SHA256.HashData(content.AsSpan(offset, Math.Min(Limits.ChunkSize, content.Length - offset)), digests.AsSpan(chunk * Limits.IdLength));
        }

        _hashList = new HashListMessage(Limits.ChunkSize, digests);
        Id = new ContentId(SHA256.HashData(digests));
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        _accepting = AcceptAsync();
    }

    public ContentId Id { get; }

    /// <summary>How often a dripping script sends its next byte: often enough that no read waits long, far too slowly to deliver.</summary>
    public static TimeSpan DripInterval { get; } = TimeSpan.FromMilliseconds(250);

    public DownloadSource Source => new((IPEndPoint)_listener.LocalEndPoint!, "file.bin");

    /// <summary>GETs answered in full, per connection in the order accepted (the HASHES connection included).</summary>
    public IReadOnlyList<int> GetsAnsweredPerConnection
    {
        get
        {
            lock (_lock)
            {
                return [.. _getsAnswered];
            }
        }
    }

    public DownloadPlan Plan => new("file.bin", (ulong)_content.Length, Id, [Source]);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        Task[] tasks;
        lock (_lock)
        {
            tasks = [_accepting, .. _connections];
        }

        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptAsync(_stop.Token);
                lock (_lock)
                {
                    var number = _getsAnswered.Count;
                    _getsAnswered.Add(0);
                    _connections.Add(ServeAsync(new FrameConnection(socket, Channel.Peer), number, _script(number)));
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task ServeAsync(FrameConnection connection, int number, ConnectionScript script)
    {
        using (connection)
        {
            try
            {
                while (await connection.ReadMessageAsync(TimeSpan.FromSeconds(30), _stop.Token) is { } message)
                {
                    if (script == ConnectionScript.Busy)
                    {
                        await connection.SendErrorAndCloseAsync(ErrorCode.Busy, "too many connections from your address");
                        return;
                    }

                    if (script == ConnectionScript.SendsHugeFrames)
                    {
                        await connection.SendRawAsync(new byte[] { (byte)MessageType.HashList, 0x01, 0x00, 0x00, 0x00 }, _stop.Token);
                        continue;
                    }

                    switch (message)
                    {
                        case HashesMessage when script == ConnectionScript.DripsHashList:
                            await DripAsync(connection, MessageCodec.EncodeFrame(_hashList));
                            return;
                        case HashesMessage:
                            await connection.SendAsync(_hashList, _stop.Token);
                            break;
                        case GetMessage get:
                            var length = (int)get.Length;
                            await connection.SendAsync(new DataMessage(get.Offset, get.Length), _stop.Token);
                            if (script == ConnectionScript.DripsChunks)
                            {
                                await DripAsync(connection, _content.AsMemory((int)get.Offset, length));
                                return;
                            }

                            if (script == ConnectionScript.DiesInFirstChunk)
                            {
                                await connection.SendRawAsync(_content.AsMemory((int)get.Offset, length / 2), _stop.Token);
                                return;
                            }

                            await connection.SendRawAsync(_content.AsMemory((int)get.Offset, length), _stop.Token);
                            lock (_lock)
                            {
                                _getsAnswered[number]++;
                            }

                            break;
                        default:
                            await connection.SendErrorAndCloseAsync(ErrorCode.BadRequest, $"the scripted source does not expect {message.Name}");
                            return;
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException or ProtocolException or TimeoutException)
            {
                // The downloader hung up, or the test is over.
            }
        }
    }

    /// <summary>Sends <paramref name="bytes"/> one at a time, <see cref="DripInterval"/> apart, until they are sent or the test ends.</summary>
    private async Task DripAsync(FrameConnection connection, ReadOnlyMemory<byte> bytes)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            await connection.SendRawAsync(bytes.Slice(i, 1), _stop.Token);
            await Task.Delay(DripInterval, _stop.Token);
        }
    }
}
