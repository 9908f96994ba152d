using System.Diagnostics;
using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>A peer told to stop lets its running uploads finish (up to --drain-timeout) and leaves its downloads resumable.</summary>
public sealed class DrainTests : IAsyncDisposable
{
    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task SIGTERM_during_an_upload_lets_the_upload_finish_within_the_drain_timeout_and_the_process_exits_0()
    {
        var server = await _cluster.StartServerAsync();
        // About 3 s at 2 MiB/s.
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "drained.bin"), 6 * 1024 * 1024, 1);
        var source = await _cluster.StartPeerAsync(server, "source", uploadLimit: 2 * 1024 * 1024);
        await Sources.WaitForAsync(server, "drained.bin", source.Port);
        var output = _cluster.Folder("out");
        var get = _cluster.Start("get", ["get", "drained.bin", "--server", server.Address, "--output", output]);
        get.CloseInput();
        await ResumeRecord.WaitForAsync(Path.Combine(output, "drained.bin.part.state"), 0, get, TimeSpan.FromSeconds(15));

        var clock = Stopwatch.StartNew();
        await source.Process.SignalAsync("TERM");

        // New connections are refused at once, while the running upload goes on.
        await WaitUntilRefusedAsync(source.Port, source.Process);

        var getExit = await get.WaitForExitAsync(TimeSpan.FromSeconds(15));
        Assert.True(getExit == 0, get.Describe($"get exited with code {getExit} while its source was draining"));
        Assert.False(source.Process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(0.5), source.Process.Describe("the source did not wait for its upload"));
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "drained.bin"));
        Assert.Equal(["drained.bin"], TestFiles.Names(output));

        var sourceExit = await source.Process.WaitForExitAsync(TimeSpan.FromSeconds(12));
        Assert.True(sourceExit == 0, source.Process.Describe($"the source exited with code {sourceExit} after draining"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(11), source.Process.Describe($"the source took {clock.Elapsed.TotalSeconds:0.0} s to stop (drain timeout 10 s)"));
    }

    [Fact]
    public async Task An_upload_longer_than_the_drain_timeout_is_cut_and_the_downloader_keeps_a_part_file_to_resume()
    {
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "cut.bin"), 8 * 1024 * 1024, 2);
        var share = _cluster.ShareFolder("source");
        string[] arguments = ["peer", "--server", server.Address, "--port", "0", "--share", share, "--downloads", _cluster.DownloadsFolder("source"), "--state", _cluster.Folder("source", "state"), "--upload-limit", "1048576", "--drain-timeout", "1", "--no-menu"];
        var source = _cluster.Start("source", arguments, _cluster.Folder("source"));
        var line = await source.ExpectAsync(TestCluster.PeerLinePattern, TimeSpan.FromSeconds(30));
        var port = int.Parse(line.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
        await Sources.WaitForAsync(server, "cut.bin", port);
        var output = _cluster.Folder("out");
        string[] getArguments = ["get", "cut.bin", "--server", server.Address, "--output", output];
        var get = _cluster.Start("get", getArguments);
        get.CloseInput();
        await ResumeRecord.WaitForAsync(Path.Combine(output, "cut.bin.part.state"), 0, get, TimeSpan.FromSeconds(15));

        var clock = Stopwatch.StartNew();
        await source.SignalAsync("TERM");
        var sourceExit = await source.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.True(sourceExit == 0, source.Describe($"the source exited with code {sourceExit}"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), source.Describe($"the source took {clock.Elapsed.TotalSeconds:0.0} s to stop with --drain-timeout 1"));

        // Its only source gone, get cannot finish (it gives up, or is stopped here) and keeps what it has.
        var waited = Stopwatch.StartNew();
        while (!get.HasExited && waited.Elapsed < TimeSpan.FromSeconds(3))
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        if (!get.HasExited)
        {
            await get.SignalAsync("TERM");
        }

        var getExit = await get.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.NotEqual(0, getExit);
        Assert.DoesNotContain("cut.bin", TestFiles.Names(output));
        Assert.Contains("cut.bin.part", TestFiles.Names(output));
        Assert.Contains("cut.bin.part.state", TestFiles.Names(output));
        var record = ResumeRecord.TryRead(Path.Combine(output, "cut.bin.part.state"));
        Assert.True(record is { Verified.Count: > 0 }, get.Describe("the resume record lists no verified chunk"));

        // A new source: the same command resumes and finishes the file.
        TestFiles.CopyInto(original, _cluster.ShareFolder("second"));
        var second = await _cluster.StartPeerAsync(server, "second");
        await Sources.WaitForAsync(server, "cut.bin", second.Port);
        var again = await _cluster.RunAsync(getArguments);
        Assert.True(again.ExitCode == 0, again.Description);
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "cut.bin"));
        Assert.True(GetOutput.ResumedChunks(again.Stdout) == record.Verified.Count, again.Description);
    }

    [Fact]
    public async Task SIGTERM_during_a_download_leaves_the_part_file_and_its_state_ready_to_resume()
    {
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "partial.bin"), 5 * 1024 * 1024, 3);
        var source = await _cluster.StartPeerAsync(server, "source", uploadLimit: 1024 * 1024);
        await Sources.WaitForAsync(server, "partial.bin", source.Port);
        var peer = await _cluster.StartPeerAsync(server, "peer", menu: true);
        await peer.Process.ExpectAsync(@"> $");
        await peer.Process.WriteLineAsync("2");
        await peer.Process.ExpectAsync(@"> $");
        await peer.Process.WriteLineAsync("partial.bin");
        await peer.Process.ExpectAsync(@"download #\d+ of partial\.bin started");
        await ResumeRecord.WaitForAsync(peer.DownloadedPath("partial.bin.part.state"), 0, peer.Process, TimeSpan.FromSeconds(15));

        await peer.Process.SignalAsync("TERM");
        var exitCode = await peer.Process.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.True(exitCode == 0, peer.Process.Describe($"the peer exited with code {exitCode} on SIGTERM"));

        Assert.Equal(["partial.bin.part", "partial.bin.part.state"], TestFiles.Names(peer.DownloadsFolder).Order(StringComparer.Ordinal));
        var record = ResumeRecord.TryRead(peer.DownloadedPath("partial.bin.part.state"));
        Assert.True(record is { Verified.Count: > 0 }, peer.Process.Describe("the resume record lists no verified chunk"));

        // Ready to resume: get into the same folder picks up where the peer stopped.
        var again = await _cluster.RunAsync(["get", "partial.bin", "--server", server.Address, "--output", peer.DownloadsFolder]);
        Assert.True(again.ExitCode == 0, again.Description);
        await TestFiles.AssertSameContentAsync(original, peer.DownloadedPath("partial.bin"));
        Assert.True(GetOutput.ResumedChunks(again.Stdout) >= record.Verified.Count, again.Description);
    }

    private static async Task WaitUntilRefusedAsync(int port, CliProcess process)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port), TestContext.Current.CancellationToken);
            }
            catch (System.Net.Sockets.SocketException)
            {
                return;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), process.Describe("the draining peer still accepted connections 2 s after SIGTERM"));
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
