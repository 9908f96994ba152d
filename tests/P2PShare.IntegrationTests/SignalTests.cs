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
    public async Task Get_interrupted_by_SIGTERM_fails_leaves_no_file_but_a_part_file_to_resume()
    {
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "slow.bin"), 8 * 1024 * 1024, 2);
        var source = await _cluster.StartPeerAsync(server, "source", uploadLimit: 2 * 1024 * 1024);
        await Sources.WaitForAsync(server, "slow.bin", source.Port);
        var output = _cluster.Folder("out");
        string[] arguments = ["get", "slow.bin", "--server", server.Address, "--output", output];
        var get = _cluster.Start("get", arguments);
        get.CloseInput();
        // Once a chunk is verified and recorded there is something worth keeping.
        await ResumeRecord.WaitForAsync(Path.Combine(output, "slow.bin.part.state"), 0, get, TimeSpan.FromSeconds(15));

        await get.SignalAsync("TERM");

        var exitCode = await get.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.True(exitCode == 130, get.Describe($"get exited with code {exitCode} on SIGTERM, not 130"));
        Assert.False(string.IsNullOrWhiteSpace(get.Stderr.ToString()), get.Describe("get said nothing on stderr"));
        var left = TestFiles.Names(output);
        Assert.DoesNotContain("slow.bin", left);
        Assert.Contains("slow.bin.part", left);
        Assert.Contains("slow.bin.part.state", left);
        var record = ResumeRecord.TryRead(Path.Combine(output, "slow.bin.part.state"));
        Assert.True(record is { Verified.Count: > 0 }, get.Describe("the resume record lists no verified chunk"));

        // Ready to resume: the same command finishes the file.
        var again = await _cluster.RunAsync(arguments);
        Assert.True(again.ExitCode == 0, again.Description);
        Assert.Equal(["slow.bin"], TestFiles.Names(output));
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "slow.bin"));
        Assert.True(GetOutput.ResumedChunks(again.Stdout) == record.Verified.Count, again.Description);
    }

    [Fact]
    public async Task Peer_with_its_menu_and_a_download_running_exits_0_on_SIGTERM_and_leaves_no_finished_file()
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
        // An interrupted download may keep slow.bin.part and its resume record, but never a file named slow.bin.
        var left = TestFiles.Names(peer.DownloadsFolder);
        Assert.True(
            left.All(name => name.StartsWith("slow.bin.part", StringComparison.Ordinal)),
            peer.Process.Describe($"the downloads folder holds [{string.Join(", ", left)}] after SIGTERM"));
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
