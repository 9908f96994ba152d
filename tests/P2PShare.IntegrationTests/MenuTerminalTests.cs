using System.Globalization;
using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>
/// Acceptance point 7: the peer menu under a real pseudo-terminal (tmux). A download runs in the
/// background (the source is rate-limited so it takes seconds) while the menu keeps answering.
/// </summary>
public sealed class MenuTerminalTests : IAsyncDisposable
{
    private const int MiB = 1024 * 1024;
    private const string Prompt = @">$";

    private readonly TestCluster _cluster = new();
    private TmuxSession? _tmux;

    public async ValueTask DisposeAsync()
    {
        if (_tmux is not null)
        {
            try
            {
                var screen = await _tmux.CaptureAsync();
                TestContext.Current.TestOutputHelper?.WriteLine("[terminal]\n" + TmuxSession.Number(screen));
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                // The session is already gone.
            }

            await _tmux.DisposeAsync();
        }

        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Menu_in_a_terminal_stays_usable_while_a_download_runs_in_the_background()
    {
        // Fails with a clear message when tmux is missing (CI installs it).
        TmuxSession.FindTmux();
        var server = await _cluster.StartServerAsync();
        var slow = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "slow.bin"), 8 * MiB, 1);
        await _cluster.StartPeerAsync(server, "source", uploadLimit: (3 * MiB) / 2);
        var share = _cluster.ShareFolder("me");
        TestFiles.WriteRandom(Path.Combine(share, "mine.txt"), 1000, 2);
        var downloads = _cluster.DownloadsFolder("me");

        var command = string.Join(' ', new[]
        {
            TestEnvironment.DotnetHost, TestEnvironment.CliAssembly, "peer", "--server", server.Address, "--port", "0",
            "--share", share, "--downloads", downloads,
        }.Select(TmuxSession.ShellQuote)) + "; echo \"[p2pshare exited with code $?]\"; sleep 600";
        _tmux = await TmuxSession.StartAsync(command, _cluster.Folder("me"));
        var tmux = _tmux;

        await tmux.WaitForAsync(@"p2pshare peer listening on port \d+, sharing 1 files?, registered with " + System.Text.RegularExpressions.Regex.Escape(server.Address), timeout: TimeSpan.FromSeconds(30));
        var prompt = await tmux.WaitForAsync(Prompt);

        // 1: search; the results table has a row number column.
        await tmux.SendLineAsync("1");
        prompt = await tmux.WaitForAsync(Prompt, prompt.LineIndex + 1);
        await tmux.SendLineAsync("slow");
        var row = await tmux.WaitForAsync(@"^\W*(?<row>\d+)\W+slow\.bin\b", prompt.LineIndex + 1);
        var rowNumber = int.Parse(row.Match.Groups["row"].Value, CultureInfo.InvariantCulture);
        prompt = await tmux.WaitForAsync(Prompt, row.LineIndex + 1);

        // 2: download by row number; it starts in the background.
        await tmux.SendLineAsync("2");
        prompt = await tmux.WaitForAsync(Prompt, prompt.LineIndex + 1);
        await tmux.SendLineAsync(rowNumber.ToString(CultureInfo.InvariantCulture));
        var started = await tmux.WaitForAsync(@"download #(?<n>\d+) of slow\.bin started", prompt.LineIndex + 1);
        var number = started.Match.Groups["n"].Value;
        var finishedPattern = $@"download #{number} of slow\.bin (finished|failed)";
        prompt = await tmux.WaitForAsync(Prompt, started.LineIndex + 1);

        // 4 answers while the download runs.
        await tmux.SendLineAsync("4");
        var mine = await tmux.WaitForAsync(@"\bmine\.txt\b", prompt.LineIndex + 1);
        await AssertNotFinishedAsync(tmux, finishedPattern, "choice 4 was answered");
        prompt = await tmux.WaitForAsync(Prompt, mine.LineIndex + 1);

        // 3 lists the download, still running.
        await tmux.SendLineAsync("3");
        var running = await tmux.WaitForAsync(@"slow\.bin.*\b(running|completed|failed|cancelled)\b", prompt.LineIndex + 1);
        Assert.True(running.Line.Contains("running", StringComparison.Ordinal), $"the transfers view showed the download as not running: {running.Line}");
        await AssertNotFinishedAsync(tmux, finishedPattern, "choice 3 was answered");

        // The download finishes, verified, while the menu waits for input.
        var finished = await tmux.WaitForAsync(finishedPattern, started.LineIndex + 1, TimeSpan.FromSeconds(30));
        Assert.Matches(@"finished.*verified", finished.Line);
        await TestFiles.AssertSameContentAsync(slow, Path.Combine(downloads, "slow.bin"));

        await tmux.SendLineAsync("3");
        await tmux.WaitForAsync(@"slow\.bin.*\bcompleted\b", finished.LineIndex + 1);

        // 6 quits with exit code 0.
        await tmux.SendLineAsync("6");
        var exit = await tmux.WaitForAsync(@"^\[p2pshare exited with code (?<code>\d+)\]", finished.LineIndex + 1);
        Assert.Equal("0", exit.Match.Groups["code"].Value);
    }

    private static async Task AssertNotFinishedAsync(TmuxSession tmux, string finishedPattern, string what)
    {
        var screen = await tmux.CaptureAsync();
        Assert.False(
            screen.Any(line => System.Text.RegularExpressions.Regex.IsMatch(line, finishedPattern)),
            $"the download ended before {what}, so the test shows nothing about the menu during a download:\n{TmuxSession.Number(screen)}");
    }
}
