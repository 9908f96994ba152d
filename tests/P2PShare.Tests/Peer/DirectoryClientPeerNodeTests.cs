using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Directory;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>A peer outlives its directory server: it keeps its share, fails searches fast while down, and registers its current files again once a server is back.</summary>
public sealed class DirectoryClientPeerNodeTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly TempFolder _share = new();
    private readonly TempFolder _downloads = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _share.Dispose();
        _downloads.Dispose();
    }

    [Fact]
    public async Task A_peer_registers_its_current_files_with_a_restarted_server()
    {
        _share.Write("a.bin", [1, 2, 3]);
        var first = StartServer(0, out var firstRegistry);
        var port = first.LocalEndPoint.Port;
        await using var node = new PeerNode(
            new PeerOptions
            {
                Server = new HostPort("127.0.0.1", (ushort)port),
                Port = 0,
                ListenAddress = IPAddress.Loopback,
                ShareFolder = _share.Path,
                DownloadsFolder = _downloads.Path,
                InitialScanWait = TimeSpan.FromSeconds(5),
            },
            NullLoggerFactory.Instance);
        await node.StartAsync(Token);
        Assert.True(await node.WaitForInitialScanAsync(TimeSpan.FromSeconds(2), Patience, Token));
        Assert.Equal(1U, node.RegisteredFiles);
        Assert.Equal(1, firstRegistry.FileCount);
        Assert.True(node.DirectoryConnected);

        await first.DisposeAsync();
        await WaitForAsync(() => !node.DirectoryConnected);

        // While the directory is away, searches fail at once and the share still changes.
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<DirectoryException>(() => node.SearchAsync("a", Token));
        Assert.StartsWith("directory unreachable, retrying", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the search took {clock.ElapsedMilliseconds} ms to fail");
        _share.Write("b.bin", [4, 5, 6]);
        await node.RescanAsync(Token);
        Assert.Equal(2, node.Share.Count);

        // A new server on the same port gets the whole current share.
        await using var second = StartServer(port, out var secondRegistry);
        await WaitForAsync(() => secondRegistry.FileCount == 2 && node.DirectoryConnected);
        Assert.Equal(2U, node.RegisteredFiles);
        Assert.Equal(1, secondRegistry.PeerCount);
        Assert.Empty(await node.SearchAsync("", Token));
        var names = secondRegistry.Search("", null, 1000).SelectMany(p => p.Files).Select(f => f.Name).Order(StringComparer.Ordinal);
        Assert.Equal(["a.bin", "b.bin"], names);
    }

    private static DirectoryServer StartServer(int port, out InMemoryPeerRegistry registry)
    {
        registry = new InMemoryPeerRegistry();
        var server = new DirectoryServer(new DirectoryServerOptions { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, port) }, registry, NullLogger<DirectoryServer>.Instance);
        server.Start();
        return server;
    }

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
