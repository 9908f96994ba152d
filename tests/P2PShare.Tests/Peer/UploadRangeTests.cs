using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>
/// Range GETs (the chunks a swarm download asks for) sent straight from the file (sendfile):
/// exact bytes for every chunk including the last, short one, pipelined on one connection, with
/// and without an upload limit; and a file that shrinks under a send is never sent short.
/// </summary>
public sealed class UploadRangeTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private const int Size = (2 * Limits.ChunkSize) + 123_457;

    private readonly TempFolder _folder = new();
    private readonly ShareIndex _share;
    private readonly byte[] _content = new byte[Size];

    public UploadRangeTests()
    {
        _share = new ShareIndex(_folder.Path);
        new Random(17).NextBytes(_content);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _share.Dispose();
        _folder.Dispose();
    }

    [Theory]
    [InlineData(null)]
    [InlineData(20_000_000L)]
    public async Task Pipelined_chunk_GETs_return_exactly_the_file_bytes_up_to_the_short_last_chunk(long? limit)
    {
        _folder.Write("file.bin", _content);
        File.SetLastWriteTimeUtc(Path.Combine(_folder.Path, "file.bin"), DateTime.UtcNow.AddMinutes(-1));
        await _share.RescanAsync(Token);
        await using var server = Start(limit);
        using var connection = await ConnectAsync(server);
        (ulong Offset, ulong Length)[] ranges = [(0, Limits.ChunkSize), (Limits.ChunkSize, Limits.ChunkSize), (2 * Limits.ChunkSize, 123_457), (1000, 5)];
        foreach (var (offset, length) in ranges)
        {
            await connection.SendAsync(new GetMessage("file.bin", offset, length), Token);
        }

        foreach (var (offset, length) in ranges)
        {
            var header = Assert.IsType<DataMessage>(await connection.ReadMessageAsync(Patience, Token));
            Assert.Equal(offset, header.Offset);
            Assert.Equal(length, header.Length);
            var received = await ReadExactlyAsync(connection, (int)length);
            Assert.True(_content.AsSpan((int)offset, (int)length).SequenceEqual(received), $"bytes {offset}+{length} differ");
        }

        await connection.SendAsync(PingMessage.Instance, Token);
        Assert.IsType<PongMessage>(await connection.ReadMessageAsync(Patience, Token));
    }

    [Fact]
    public async Task A_range_past_the_end_of_a_file_that_shrank_since_it_was_opened_is_refused_before_anything_is_sent()
    {
        var path = _folder.Write("shrinking.bin", _content);
        using var pair = await SocketPair.OpenAsync();
        using var sender = new SliceSender();
        await using var file = OpenForSending(path);
        File.WriteAllBytes(path, _content.AsSpan(0, Limits.ChunkSize).ToArray());

        await Assert.ThrowsAsync<IOException>(() => sender.SendAsync(pair.Sender, "frame"u8.ToArray(), file, Limits.ChunkSize, 1000).AsTask());

        // The prefix is not sent alone either: the receiver sees nothing but the end.
        pair.Sender.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await pair.Receiver.ReceiveAsync(new byte[16], SocketFlags.None, Token));
    }

    [Fact]
    public async Task A_file_truncated_in_the_middle_of_a_send_fails_the_send_instead_of_sending_it_short()
    {
        // 64 MiB cannot all sit in the socket buffers while the receiver does not read, so the
        // send is still under way (at well under 32 MiB) when the file is cut to 32 MiB.
        const int Large = 64 * 1024 * 1024;
        var path = Path.Combine(_folder.Path, "large.bin");
        using (var create = File.Create(path))
        {
            create.SetLength(Large);
        }

        using var pair = await SocketPair.OpenAsync();
        using var sender = new SliceSender();
        await using var file = OpenForSending(path);
        var sending = sender.SendAsync(pair.Sender, ReadOnlyMemory<byte>.Empty, file, 0, Large).AsTask();
        await Task.Delay(200, Token);
        Assert.False(sending.IsCompleted);
        using (var truncate = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
        {
            truncate.SetLength(Large / 2);
        }

        var draining = DrainAsync(pair.Receiver);
        await Assert.ThrowsAsync<IOException>(() => sending);
        pair.Sender.Shutdown(SocketShutdown.Send);
        Assert.Equal(Large / 2, await draining);
    }

    /// <summary>Opened as the upload server opens a shared file (asynchronous, as sendfile through SendPackets requires).</summary>
    private static FileStream OpenForSending(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, FileOptions.Asynchronous);

    private static async Task<long> DrainAsync(Socket socket)
    {
        var buffer = new byte[256 * 1024];
        long total = 0;
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, Token)) > 0)
        {
            total += read;
        }

        return total;
    }

    private static async Task<byte[]> ReadExactlyAsync(FrameConnection connection, int length)
    {
        var bytes = new byte[length];
        var filled = 0;
        while (filled < length)
        {
            var read = await connection.ReadRawAsync(bytes.AsMemory(filled), Patience, Token);
            if (read == 0)
            {
                throw new EndOfStreamException($"the upload ended after {filled} of {length} bytes");
            }

            filled += read;
        }

        return bytes;
    }

    private UploadServer Start(long? limit)
    {
        var server = new UploadServer(new IPEndPoint(IPAddress.Loopback, 0), _share, new TransferTracker(), limit, NullLogger.Instance);
        server.Start();
        return server;
    }

    private static async Task<FrameConnection> ConnectAsync(UploadServer server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.LocalEndPoint.Port), Token);
        return new FrameConnection(socket, Channel.Peer);
    }

    /// <summary>Two connected loopback sockets.</summary>
    private sealed class SocketPair : IDisposable
    {
        private SocketPair(Socket sender, Socket receiver)
        {
            Sender = sender;
            Receiver = receiver;
        }

        public Socket Sender { get; }

        public Socket Receiver { get; }

        public static async Task<SocketPair> OpenAsync()
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var accepting = listener.AcceptAsync(Token);
            await sender.ConnectAsync(listener.LocalEndPoint!, Token);
            return new SocketPair(sender, await accepting);
        }

        public void Dispose()
        {
            Sender.Dispose();
            Receiver.Dispose();
        }
    }
}
