using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>Acceptance point 8: the long-running commands stop cleanly, with exit code 0, on SIGTERM and SIGINT.</summary>
public sealed class SignalTests : IAsyncDisposable
{
    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task Server_exits_0_on_signal(string signal)
    {
        var server = await _cluster.StartServerAsync();

        await server.Process.SignalAsync(signal);

        var exitCode = await server.Process.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.True(exitCode == 0, server.Process.Describe($"the server exited with code {exitCode} on SIG{signal}"));
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task Headless_peer_exits_0_on_signal_and_unregisters(string signal)
    {
        var server = await _cluster.StartServerAsync();
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("peer"), "signal.bin"), 1000, 1);
        var peer = await _cluster.StartPeerAsync(server, "peer");
        Assert.Single(await RawClient.SearchAsync(server.Port, "signal"));

        await peer.Process.SignalAsync(signal);

        var exitCode = await peer.Process.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.True(exitCode == 0, peer.Process.Describe($"the peer exited with code {exitCode} on SIG{signal}"));
        await RawClient.SearchUntilAsync(server.Port, "signal", results => results.Count == 0, TimeSpan.FromSeconds(1));

        // The server outlives its peers and stops cleanly too.
        await server.Process.SignalAsync("TERM");
        var serverExit = await server.Process.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.True(serverExit == 0, server.Process.Describe($"the server exited with code {serverExit} on SIGTERM"));
    }

    [Fact]
    public async Task Get_interrupted_by_SIGTERM_fails_and_leaves_no_file_and_no_part_file()
    {
        var server = await _cluster.StartServerAsync();
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "slow.bin"), 8 * 1024 * 1024, 2);
        await _cluster.StartPeerAsync(server, "source", uploadLimit: 1024 * 1024);
        var output = _cluster.Folder("out");
        var get = _cluster.Start("get", ["get", "slow.bin", "--server", server.Address, "--output", output]);
        get.CloseInput();
        await WaitForPartFileAsync(get, Path.Combine(output, "slow.bin.part"));

        await get.SignalAsync("TERM");

        var exitCode = await get.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.True(exitCode != 0, get.Describe("get reported success although it was interrupted"));
        Assert.False(string.IsNullOrWhiteSpace(get.Stderr.ToString()), get.Describe("get said nothing on stderr"));
        Assert.Empty(TestFiles.Names(output));
    }

    [Fact]
    public async Task Peer_with_its_menu_and_a_download_running_exits_0_on_SIGTERM_and_leaves_no_part_file()
    {
        var server = await _cluster.StartServerAsync();
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "slow.bin"), 8 * 1024 * 1024, 2);
        await _cluster.StartPeerAsync(server, "source", uploadLimit: 1024 * 1024);
        var peer = await _cluster.StartPeerAsync(server, "peer", menu: true);
        await peer.Process.ExpectAsync(@"> $");
        await peer.Process.WriteLineAsync("2");
        await peer.Process.ExpectAsync(@"> $");
        await peer.Process.WriteLineAsync("slow.bin");
        await peer.Process.ExpectAsync(@"download #\d+ of slow\.bin started");
        await WaitForPartFileAsync(peer.Process, peer.DownloadedPath("slow.bin.part"));

        await peer.Process.SignalAsync("TERM");

        var exitCode = await peer.Process.WaitForExitAsync(TimeSpan.FromSeconds(5));
        Assert.True(exitCode == 0, peer.Process.Describe($"the peer exited with code {exitCode} on SIGTERM"));
        Assert.Empty(TestFiles.Names(peer.DownloadsFolder));
    }

    private static async Task WaitForPartFileAsync(CliProcess process, string part)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!File.Exists(part))
        {
            Assert.True(DateTime.UtcNow < deadline && !process.HasExited, process.Describe($"{Path.GetFileName(part)} did not appear"));
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
