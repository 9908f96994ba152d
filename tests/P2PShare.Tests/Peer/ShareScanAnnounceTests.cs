using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Directory;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>A peer registers before its scan is done and announces the rest as it is hashed (in-process directory server).</summary>
public sealed class ShareScanAnnounceTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly InMemoryPeerRegistry _registry = new();
    private readonly TempFolder _share = new();
    private readonly TempFolder _state = new();
    private readonly TempFolder _downloads = new();
    private DirectoryServer _server = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _server = new DirectoryServer(new DirectoryServerOptions { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0) }, _registry, NullLogger<DirectoryServer>.Instance);
        _server.Start();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _share.Dispose();
        _state.Dispose();
        _downloads.Dispose();
    }

    [Fact]
    public async Task Files_hashed_after_the_register_are_added_and_a_restart_takes_them_all_from_the_cache()
    {
        for (var i = 0; i < 8; i++)
        {
            var data = new byte[4 * Limits.ChunkSize];
            new Random(i).NextBytes(data);
            _share.Write($"file{i}.bin", data);
        }

        await using (var node = NewNode(TimeSpan.Zero))
        {
            await node.StartAsync(Token);
            await node.InitialScan.WaitAsync(Patience, Token);
            Assert.True(await node.WaitForInitialScanAsync(TimeSpan.FromSeconds(2), Patience, Token));
            Assert.Equal(8U, node.RegisteredFiles);
            Assert.Equal(8, _registry.FileCount);
            Assert.Equal(8, node.Share.FilesHashed);
            Assert.Equal(8, node.InitialScanStats?.Hashed);

            // A rescan announces what changed, and only that.
            File.Delete(Path.Combine(_share.Path, "file0.bin"));
            _share.Write("new.bin", [1, 2, 3]);
            var changes = await node.RescanAsync(Token);
            Assert.Equal(["new.bin"], changes.Added.Select(e => e.Name));
            Assert.Equal(["file0.bin"], changes.Removed);
            Assert.Equal(8U, node.RegisteredFiles);
            Assert.Equal(8, _registry.FileCount);
        }

        await WaitForAsync(() => _registry.FileCount == 0);
        await using (var node = NewNode(TimeSpan.FromSeconds(5)))
        {
            await node.StartAsync(Token);

            // Everything came from the cache within the wait, so the REGISTER held every file.
            Assert.True(node.InitialScan.IsCompleted);
            Assert.True(await node.WaitForInitialScanAsync(TimeSpan.FromSeconds(2), Patience, Token));
            Assert.Equal(8U, node.RegisteredFiles);
            Assert.Equal(0, node.Share.FilesHashed);
            Assert.Equal(8, node.Share.FilesFromCache);
            Assert.Equal(0, node.InitialScanStats?.Hashed);
        }
    }

    [Fact]
    public async Task A_rescan_while_the_first_scan_runs_waits_for_it_and_loses_nothing()
    {
        for (var i = 0; i < 6; i++)
        {
            var data = new byte[8 * Limits.ChunkSize];
            new Random(i).NextBytes(data);
            _share.Write($"big{i}.bin", data);
        }

        await using var node = NewNode(TimeSpan.Zero);
        await node.StartAsync(Token);
        _share.Write("late.bin", [7]);
        var changes = await node.RescanAsync(Token).WaitAsync(Patience, Token);

        Assert.True(node.InitialScan.IsCompleted);
        Assert.Equal(7, node.Share.Count);
        await WaitForAsync(() => _registry.FileCount == 7);
        Assert.Empty(changes.Removed);
        Assert.Equal(7, node.Share.FilesHashed);
    }

    private PeerNode NewNode(TimeSpan initialScanWait) => new(
        new PeerOptions
        {
            Server = new HostPort("127.0.0.1", (ushort)_server.LocalEndPoint.Port),
            Port = 0,
            ListenAddress = IPAddress.Loopback,
            ShareFolder = _share.Path,
            DownloadsFolder = _downloads.Path,
            StateFolder = _state.Path,
            InitialScanWait = initialScanWait,
        },
        NullLoggerFactory.Instance);

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Patience, "the condition did not hold in time");
            await Task.Delay(20, Token);
        }
    }
}
