using System.Net;
using System.Net.Sockets;
using P2PShare.Protocol;

namespace P2PShare.IntegrationTests.Infrastructure;

/// <summary>How a <see cref="FakePeer"/> answers chunk requests.</summary>
public enum FakePeerBehavior
{
    /// <summary>GET is answered with the file's true bytes.</summary>
    Honest,

    /// <summary>GET is answered with DATA of the right offset and length, but wrong bytes (the true ones XOR 0x5A).</summary>
    CorruptChunks,

    /// <summary>GET is read and never answered; the connection stays open.</summary>
    SilentOnGet,

    /// <summary>
    /// As <see cref="CorruptChunks"/>, but the first answer comes only after 50 ms, when the
    /// other sources' chunks are arriving in full flow.
    /// </summary>
    CorruptChunksLate,

    /// <summary>GET is answered with the DATA header, then the true bytes one every <see cref="FakePeer.DripInterval"/>.</summary>
    DripsChunks,

    /// <summary>HASHES is answered with the true HASH_LIST, sent one byte every <see cref="FakePeer.DripInterval"/>.</summary>
    DripsHashList,
}

/// <summary>
/// A peer written in the test with the Protocol library, to behave as the real one never would.
/// It listens on 127.0.0.1 or another loopback address (port 0), registers one file with the
/// directory from that address over a raw
/// REGISTER connection that it keeps open (so it stays online), answers HASHES for that file's
/// id with the true HASH_LIST, and answers GET according to its <see cref="FakePeerBehavior"/>.
/// Disposing it closes everything, which also takes it off the directory.
/// Started with <c>partial: true</c>, it poses as a peer downloading the file instead: it
/// registers no file, tells the directory with HOLD that it holds every chunk but the last, and
/// answers CHUNKS with that map, claiming all along to be fetching the last chunk (which it never
/// gets: a fetching bit is a hint, never a promise).
/// </summary>
public sealed class FakePeer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly FrameConnection _directory;
    private readonly string _path;
    private readonly FileEntry _file;
    private readonly HashListMessage _hashList;
    private readonly FakePeerBehavior _behavior;
    private readonly ChunkMapMessage? _map;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private readonly Lock _lock = new();
    private int _connections;
    private int _hashesAnswered;
    private int _getsReceived;
    private int _getsAnswered;
    private int _getsOutsideMap;
    private int _lateAnswerGiven;

    private FakePeer(Socket listener, FrameConnection directory, string path, FileEntry file, HashListMessage hashList, FakePeerBehavior behavior, ChunkMapMessage? map)
    {
        _map = map;
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _listener = listener;
        _directory = directory;
        _path = path;
        _file = file;
        _hashList = hashList;
        _behavior = behavior;
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    /// <summary>A dripping peer's pace: one byte this often, each well within a downloader's 10 s stall timeout.</summary>
    public static TimeSpan DripInterval { get; } = TimeSpan.FromSeconds(4);

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>Where it listens.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>How the directory and the downloaders name it.</summary>
    public string Address => HostPort.FormatEndPoint(EndPoint.Address, Port);

    /// <summary>The file it claims to share.</summary>
    public FileEntry File => _file;

    /// <summary>Peer connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>HASHES requests answered with the HASH_LIST.</summary>
    public int HashesAnswered => Volatile.Read(ref _hashesAnswered);

    /// <summary>GET requests received.</summary>
    public int GetsReceived => Volatile.Read(ref _getsReceived);

    /// <summary>GET requests answered with DATA and its bytes.</summary>
    public int GetsAnswered => Volatile.Read(ref _getsAnswered);

    /// <summary>GET requests, to a partial fake, for a range its map does not hold.</summary>
    public int GetsOutsideMap => Volatile.Read(ref _getsOutsideMap);

    /// <summary>
    /// Starts a fake peer that shares the content of <paramref name="path"/> under
    /// <paramref name="name"/> (default: the file's own name) and registers it with the directory,
    /// listening on and registering from <paramref name="address"/> (default 127.0.0.1; any of
    /// 127.0.0.0/8 makes it another address to the directory and the downloaders).
    /// </summary>
    public static async Task<FakePeer> StartAsync(ServerHandle server, string path, FakePeerBehavior behavior, string? name = null, IPAddress? address = null, bool partial = false)
    {
        ArgumentNullException.ThrowIfNull(server);
        var cancellationToken = TestContext.Current.CancellationToken;
        var (id, digests) = await ContentHasher.ComputeFileWithChunksAsync(path, keepChunkDigests: true, cancellationToken);
        var file = new FileEntry(name ?? Path.GetFileName(path), (ulong)new FileInfo(path).Length, id);
        var hashList = new HashListMessage(Limits.ChunkSize, digests);

        address ??= IPAddress.Loopback;
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        FrameConnection? directory = null;
        try
        {
            listener.Bind(new IPEndPoint(address, 0));
            listener.Listen(16);
            var port = ((IPEndPoint)listener.LocalEndPoint!).Port;

            var socket = await Loopback.ConnectFromAsync(address, server.Host, server.Port, cancellationToken);
            directory = new FrameConnection(socket, Channel.Directory) { FrameTimeout = RawClient.ReplyTimeout };
            await directory.SendAsync(new RegisterMessage((ushort)port, partial ? [] : [file]), cancellationToken);
            var reply = await directory.ReadMessageAsync(RawClient.ReplyTimeout, cancellationToken);
            if (reply is not OkMessage { FileCount: var count } || count != (partial ? 0 : 1))
            {
                throw new InvalidOperationException($"the directory answered the fake peer's REGISTER with {reply?.ToString() ?? "nothing"}");
            }

            ChunkMapMessage? map = null;
            if (partial)
            {
                var chunks = hashList.Count;
                var bitmap = new byte[ChunkBitmap.ByteLength(chunks)];
                for (var chunk = 0; chunk < chunks - 1; chunk++)
                {
                    ChunkBitmap.Set(bitmap, chunk);
                }

                var fetching = new byte[bitmap.Length];
                ChunkBitmap.Set(fetching, chunks - 1);
                map = new ChunkMapMessage(chunks, bitmap, fetching);
                await directory.SendAsync(new HoldMessage([new HoldItem(id, file.Size, (uint)Math.Max(1, chunks - 1))]), cancellationToken);
                reply = await directory.ReadMessageAsync(RawClient.ReplyTimeout, cancellationToken);
                if (reply is not OkMessage { FileCount: 1 })
                {
                    throw new InvalidOperationException($"the directory answered the fake peer's HOLD with {reply?.ToString() ?? "nothing"}");
                }
            }

            var peer = new FakePeer(listener, directory, path, file, hashList, behavior, map);
            peer.Track(peer.KeepRegistrationAsync());
            peer.Track(peer.AcceptAsync());
            return peer;
        }
        catch
        {
            directory?.Dispose();
            listener.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        _directory.Dispose();
        Task[] tasks;
        lock (_lock)
        {
            tasks = [.. _tasks];
        }

        try
        {
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or SocketException or IOException or ObjectDisposedException)
        {
            // Closing: whatever a connection was doing no longer matters.
        }

        _stop.Dispose();
    }

    private void Track(Task task)
    {
        lock (_lock)
        {
            _tasks.Add(task);
        }
    }

    /// <summary>Keeps the REGISTER connection open, answering PING, until the directory or the test closes it.</summary>
    private async Task KeepRegistrationAsync()
    {
        try
        {
            while (await _directory.ReadMessageAsync(Timeout.InfiniteTimeSpan, _stop.Token) is { } message)
            {
                if (message is PingMessage)
                {
                    await _directory.SendAsync(PongMessage.Instance, _stop.Token);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException or ProtocolException or TimeoutException)
        {
            // The test is over, or the directory went away.
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                Track(ServeAsync(new FrameConnection(socket, Channel.Peer)));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task ServeAsync(FrameConnection connection)
    {
        using (connection)
        {
            try
            {
                while (await connection.ReadMessageAsync(Timeout.InfiniteTimeSpan, _stop.Token) is { } message)
                {
                    switch (message)
                    {
                        case HashesMessage hashes when hashes.Id == _file.Id && _behavior == FakePeerBehavior.DripsHashList:
                            await DripAsync(connection, MessageCodec.EncodeFrame(_hashList));
                            return;
                        case HashesMessage hashes when hashes.Id == _file.Id:
                            await connection.SendAsync(_hashList, _stop.Token);
                            Interlocked.Increment(ref _hashesAnswered);
                            break;
                        case HashesMessage:
                            await connection.SendAsync(new ErrorMessage(ErrorCode.NotFound, "no file with this id"), _stop.Token);
                            break;
                        case ChunksMessage chunks when chunks.Id == _file.Id && _map is not null:
                            await connection.SendAsync(_map, _stop.Token);
                            break;
                        case GetMessage get:
                            Interlocked.Increment(ref _getsReceived);
                            if (_map is not null && !InMap(get))
                            {
                                Interlocked.Increment(ref _getsOutsideMap);
                            }

                            await AnswerGetAsync(connection, get);
                            break;
                        case PingMessage:
                            await connection.SendAsync(PongMessage.Instance, _stop.Token);
                            break;
                        default:
                            await connection.SendErrorAndCloseAsync(ErrorCode.BadRequest, $"the fake peer does not expect {message.Name}");
                            return;
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException or ProtocolException or TimeoutException)
            {
                // The downloader hung up (it drops a source that lies), or the test is over.
            }
        }
    }

    private bool InMap(GetMessage get)
    {
        var length = get.Length == 0 ? _file.Size - Math.Min(get.Offset, _file.Size) : get.Length;
        var first = (int)(get.Offset / Limits.ChunkSize);
        var last = (int)((get.Offset + Math.Max(length, 1) - 1) / Limits.ChunkSize);
        return Enumerable.Range(first, last - first + 1).All(_map!.Has);
    }

    private async Task AnswerGetAsync(FrameConnection connection, GetMessage get)
    {
        if (_behavior == FakePeerBehavior.SilentOnGet)
        {
            return;
        }

        var size = _file.Size;
        if (get.FileName != _file.Name || (!get.Id.IsZero && get.Id != _file.Id))
        {
            await connection.SendAsync(new ErrorMessage(ErrorCode.NotFound, "no such file"), _stop.Token);
            return;
        }

        if (get.Offset > size || (get.Length != 0 && get.Length > size - get.Offset))
        {
            await connection.SendAsync(new ErrorMessage(ErrorCode.BadRequest, "range outside the file"), _stop.Token);
            return;
        }

        var length = get.Length == 0 ? size - get.Offset : get.Length;
        var bytes = new byte[checked((int)length)];
        await using (var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, useAsync: true))
        {
            stream.Position = (long)get.Offset;
            await stream.ReadExactlyAsync(bytes, _stop.Token);
        }

        if (_behavior == FakePeerBehavior.DripsChunks)
        {
            await connection.SendAsync(new DataMessage(get.Offset, length), _stop.Token);
            await DripAsync(connection, bytes);
            return;
        }

        if (_behavior == FakePeerBehavior.CorruptChunksLate && Interlocked.Exchange(ref _lateAnswerGiven, 1) == 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), _stop.Token);
        }

        if (_behavior is FakePeerBehavior.CorruptChunks or FakePeerBehavior.CorruptChunksLate)
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] ^= 0x5A;
            }
        }

        await connection.SendAsync(new DataMessage(get.Offset, length), _stop.Token);
        await connection.SendRawAsync(bytes, _stop.Token);
        Interlocked.Increment(ref _getsAnswered);
    }

    /// <summary>Sends <paramref name="bytes"/> one at a time, <see cref="DripInterval"/> apart, until all are sent or the downloader hangs up.</summary>
    private async Task DripAsync(FrameConnection connection, ReadOnlyMemory<byte> bytes)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            await connection.SendRawAsync(bytes.Slice(i, 1), _stop.Token);
            await Task.Delay(DripInterval, _stop.Token);
        }
    }
}
