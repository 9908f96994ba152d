using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>Peers outlive a restart of the directory server: they reconnect and register again, and downloads go on.</summary>
public sealed class ReconnectTests : IAsyncDisposable
{
    private const int MiB = 1024 * 1024;

    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task After_a_server_restart_every_peer_is_back_within_5_s_and_a_running_download_completes()
    {
        var port = FreePort();
        var server = await _cluster.StartServerAsync(port: port);
        Assert.Equal(port, server.Port);
        var big = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("slow"), "big.bin"), 6 * MiB, 1);
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("two"), "two.bin"), 5000, 2);
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("three"), "three.bin"), 6000, 3);
        var peers = await Task.WhenAll(
            _cluster.StartPeerAsync(server, "slow", uploadLimit: MiB),
            _cluster.StartPeerAsync(server, "two"),
            _cluster.StartPeerAsync(server, "three"));
        var ports = peers.Select(p => p.Port).ToArray();
        await RawClient.SearchUntilAsync(port, "", results => ports.All(p => results.Any(r => r.Port == p)), TimeSpan.FromSeconds(10));

        // A download of about 6 s from the rate-limited peer is under way...
        var output = _cluster.Folder("out");
        var get = _cluster.Start("get", ["get", "big.bin", "--server", server.Address, "--output", output]);
        get.CloseInput();
        await ResumeRecord.WaitForAsync(Path.Combine(output, "big.bin.part.state"), 0, get, TimeSpan.FromSeconds(15));

        // ...when the directory restarts on the same port.
        await server.Process.SignalAsync("TERM");
        var serverExit = await server.Process.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.True(serverExit == 0, server.Process.Describe($"the server exited with code {serverExit} on SIGTERM"));
        var restarted = await _cluster.StartServerAsync("server2", port);
        var clock = Stopwatch.StartNew();

        await RawClient.SearchUntilAsync(port, "", results => ports.All(p => results.Any(r => r.Port == p)), TimeSpan.FromSeconds(5));
        TestContext.Current.TestOutputHelper?.WriteLine($"every peer was back {clock.ElapsedMilliseconds} ms after the new server started");
        var back = await RawClient.SearchAsync(restarted.Port, "");
        Assert.Contains(back, p => p.Port == peers[0].Port && p.Files.Any(f => f.Name == "big.bin"));
        Assert.Contains(back, p => p.Port == peers[1].Port && p.Files.Any(f => f.Name == "two.bin"));
        Assert.Contains(back, p => p.Port == peers[2].Port && p.Files.Any(f => f.Name == "three.bin"));
        foreach (var peer in peers)
        {
            await peer.Process.WaitForErrorLineAsync($@"lost the directory 127\.0\.0\.1:{port}: .*; retrying in [0-9.]+ s", TimeSpan.FromSeconds(5));
            await peer.Process.WaitForErrorLineAsync($@"reconnected to 127\.0\.0\.1:{port}: registered 1 files", TimeSpan.FromSeconds(5));
        }

        var exitCode = await get.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(exitCode == 0, get.Describe($"get exited with code {exitCode}"));
        await TestFiles.AssertSameContentAsync(big, Path.Combine(output, "big.bin"));
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
