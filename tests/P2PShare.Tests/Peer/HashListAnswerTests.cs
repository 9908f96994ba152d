using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Peer;
using P2PShare.Protocol;
using P2PShare.Tests.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>
/// Issue 13: HASH_LIST answers were amplifiable into pinned memory. A 37-byte HASHES made the
/// uploader build the whole HASH_LIST frame (up to 16 MiB, in a 32 MiB pooled buffer) and hold it
/// for as long as the downloader did not read it (the frame timeout, 30 s). The list is now sent
/// from the digests the share index holds, in slices under the progress deadline. The shared file
/// here is the largest a HASH_LIST can describe (524,287 MiB, sparse), its digests put in the hash
/// cache so that nothing is hashed. Not run in parallel: it counts the process's allocations.
/// </summary>
[Collection(nameof(AllocationMeasurementCollection))]
public sealed class HashListAnswerTests : IAsyncLifetime
{
    private const int Chunks = 524_287;
    private const long MiB = 1024 * 1024;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly TempFolder _shareFolder = new();
    private readonly TempFolder _stateFolder = new();
    private readonly byte[] _digests = new byte[Chunks * Limits.IdLength];
    private HashCache _cache = null!;
    private ShareIndex _share = null!;
    private ContentId _id;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var path = Path.Combine(_shareFolder.Path, "huge.bin");
        await using (var file = File.Create(path))
        {
            file.SetLength(Chunks * MiB);
        }

        var time = DateTime.UtcNow.AddMinutes(-1);
        File.SetLastWriteTimeUtc(path, time);
        new Random(12).NextBytes(_digests);
        _id = new ContentId(SHA256.HashData(_digests));
        _cache = HashCache.Open(_stateFolder.Path);
        _cache.Store(path, Chunks * MiB, File.GetLastWriteTimeUtc(path).Ticks, _id, _digests);
        _share = new ShareIndex(_shareFolder.Path, _cache);
        await _share.RescanAsync(Token);
        Assert.True(_share.TryGetById(_id, out _), "the share index did not take the file from the hash cache");
    }

    public ValueTask DisposeAsync()
    {
        _share.Dispose();
        _cache.Dispose();
        _shareFolder.Dispose();
        _stateFolder.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task HASHES_from_downloaders_that_never_read_build_no_copy_of_a_16_MiB_list_and_their_connections_are_closed()
    {
        await using var server = Start(TimeSpan.FromSeconds(1));
        var clients = new List<Socket>();
        try
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < 8; i++)
            {
                var client = await ConnectAsync(server);
                clients.Add(client);
                await Loopback.SendAllAsync(client, MessageCodec.EncodeFrame(new HashesMessage(_id)));
            }

            // Each is being answered (the list's first bytes have arrived)...
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clients.Any(c => c.Available == 0))
            {
                Assert.True(clock.Elapsed < Patience, "not every HASHES is being answered");
                await Task.Delay(20, Token);
            }

            var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            TestContext.Current.TestOutputHelper?.WriteLine($"{allocated / 1024} KiB allocated while answering 8 HASHES for a {_digests.Length / MiB} MiB list");
            Assert.True(allocated < 4 * MiB, $"answering 8 HASHES allocated {allocated / MiB} MiB");

            // ... takes nothing more, and is closed after the stall timeout.
            while (server.OpenConnections > 0)
            {
                Assert.True(clock.Elapsed < Patience, $"{server.OpenConnections} connections that never read are still open");
                await Task.Delay(20, Token);
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task A_downloader_that_reads_gets_the_whole_list_of_524287_digests()
    {
        await using var server = Start(TimeSpan.FromSeconds(5));
        using var client = new FrameConnection(await ConnectAsync(server), FrameLimits.Downloader);

        await client.SendAsync(new HashesMessage(_id), Token);
        var frame = await client.ReadFrameAsync(Patience, Token);

        Assert.Equal(MessageType.HashList, frame.Type);
        Assert.Equal(8 + _digests.Length, frame.Payload.Length);
        var list = Assert.IsType<HashListMessage>(MessageCodec.Decode((byte)frame.Type, frame.Payload.Span, Channel.Peer));
        Assert.Equal(Limits.ChunkSize, (int)list.ChunkSize);
        Assert.Equal(_id, new ContentId(SHA256.HashData(frame.Payload.Span[8..])));
        Assert.True(frame.Payload.Span[8..].SequenceEqual(_digests));
    }

    private UploadServer Start(TimeSpan stallTimeout)
    {
        var server = new UploadServer(new IPEndPoint(IPAddress.Loopback, 0), _share, new TransferTracker(), null, NullLogger.Instance)
        {
            StallTimeout = stallTimeout,
        };
        server.Start();
        return server;
    }

    private static async Task<Socket> ConnectAsync(UploadServer server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.LocalEndPoint.Port), Token);
        return socket;
    }
}
