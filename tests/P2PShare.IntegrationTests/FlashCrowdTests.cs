using System.Globalization;
using System.Text.RegularExpressions;
using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>
/// Issue 14, every downloader is a source: peers downloading a file serve the chunks they have
/// verified to each other while they download, found through the directory (HOLD, LOCATE) and
/// asked only for the chunks their maps say they hold (CHUNKS). Through real processes: a seeder
/// and menu-driven downloaders, each downloading into its shared folder, every upload limited.
/// </summary>
public sealed class FlashCrowdTests : IAsyncDisposable
{
    private const int MiB = 1024 * 1024;

    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Downloaders_starting_together_serve_each_other_and_the_seeder_sends_less_than_the_crowd_takes()
    {
        const int downloaders = 4;
        const int size = 24 * MiB;
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("seeder"), "crowd.bin"), size, 141);
        var seeder = await _cluster.StartPeerAsync(server, "seeder", uploadLimit: 4 * MiB, arguments: ["--log-level", "Information"]);
        var peers = await Task.WhenAll(Enumerable.Range(1, downloaders).Select(i =>
            _cluster.StartPeerAsync(server, $"peer{i}", uploadLimit: 4 * MiB, menu: true, arguments: ["--log-level", "Information"], downloadsInShare: true)));
        foreach (var peer in peers)
        {
            await peer.Process.ExpectAsync(@"> $");
        }

        foreach (var peer in peers)
        {
            await peer.Process.WriteLineAsync("2");
            await peer.Process.ExpectAsync(@"> $");
            await peer.Process.WriteLineAsync("crowd.bin");
        }

        foreach (var peer in peers)
        {
            await peer.Process.WaitForLineAsync(@"download #\d+ of crowd\.bin finished.*verified", 0, TimeSpan.FromSeconds(90));
            await TestFiles.AssertSameContentAsync(original, peer.SharedPath("crowd.bin"));
        }

        // Quitting closes each downloader's connections, so every upload ends and is logged.
        foreach (var peer in peers)
        {
            await peer.Process.WriteLineAsync("6");
            Assert.Equal(0, await peer.Process.WaitForExitAsync());
        }

        var fromSeeder = await UploadedAsync(seeder.Process, "crowd.bin", downloaders);
        var fromPeers = peers.Sum(p => Uploaded(p.Process.Stderr.TextFrom(0), "crowd.bin"));
        var summary = $"the seeder sent {fromSeeder / (double)MiB:0.0} MiB, the downloaders {fromPeers / (double)MiB:0.0} MiB to each other, for {downloaders} × {size / MiB} MiB";
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        Assert.True(fromPeers > 0, $"no downloader served another: {summary}");

        // Alone, the seeder would send the file to every downloader; with the crowd serving
        // itself it sends much less (three copies leave room for a loaded machine).
        Assert.True(fromSeeder <= 3L * size, $"the seeder sent more than 3 copies: {summary}");
        Assert.True(fromSeeder + fromPeers >= (long)downloaders * size, $"less was sent than the downloaders verified: {summary}");
    }

    [Fact]
    public async Task A_partial_source_that_sends_wrong_bytes_is_dropped_by_name_and_the_download_completes()
    {
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("seeder"), "liar.bin"), 16 * MiB, 142);
        await _cluster.StartPeerAsync(server, "seeder", uploadLimit: 3 * MiB);
        await using var liar = await FakePeer.StartAsync(server, original, FakePeerBehavior.CorruptChunks, partial: true);
        var downloader = await _cluster.StartPeerAsync(server, "downloader", menu: true, downloadsInShare: true);
        await downloader.Process.ExpectAsync(@"> $");

        await downloader.Process.WriteLineAsync("2");
        await downloader.Process.ExpectAsync(@"> $");
        await downloader.Process.WriteLineAsync("liar.bin");

        await downloader.Process.WaitForLineAsync(@"download #\d+ of liar\.bin finished.*verified", 0, TimeSpan.FromSeconds(60));
        await TestFiles.AssertSameContentAsync(original, downloader.SharedPath("liar.bin"));
        var description = $"the liar ({liar.Address}) had {liar.Connections} connection(s), answered {liar.GetsAnswered} of {liar.GetsReceived} GETs\n{downloader.Process.Describe("download")}";
        Assert.True(liar.GetsAnswered > 0, $"the partial liar was never asked for a chunk, so the test proves nothing:\n{description}");
        Assert.Matches($@"dropped source {Regex.Escape(liar.Address)}: chunk \d+ failed verification", downloader.Process.Stderr.TextFrom(0));
        await downloader.Process.WriteLineAsync("6");
        Assert.Equal(0, await downloader.Process.WaitForExitAsync());
    }

    [Fact]
    public async Task A_partial_source_that_claims_forever_to_be_fetching_a_chunk_is_never_asked_for_it_and_the_download_completes()
    {
        // The partial fake holds every chunk but the last and says, map after map, that it is
        // fetching the last: a hint that never comes true. The downloader must take the chunks
        // it holds from it, never ask it for the last, and get the last from the seeder.
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("seeder"), "hint.bin"), 12 * MiB, 144);
        var seeder = await _cluster.StartPeerAsync(server, "seeder", uploadLimit: 2 * MiB);
        await using var hinter = await FakePeer.StartAsync(server, original, FakePeerBehavior.Honest, partial: true);
        var output = _cluster.Folder("out");

        var result = await _cluster.RunAsync(["get", "hint.bin", "--server", server.Address, "--output", output], timeout: TimeSpan.FromSeconds(60));

        var description = $"{result.Description}\nthe fake ({hinter.Address}) answered {hinter.GetsAnswered} of {hinter.GetsReceived} GETs, {hinter.GetsOutsideMap} outside its map";
        Assert.True(result.ExitCode == 0, description);
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "hint.bin"));
        Assert.True(hinter.GetsAnswered > 0, $"the partial fake was never asked for a chunk, so the test proves nothing:\n{description}");
        Assert.True(hinter.GetsOutsideMap == 0, description);
        var rows = GetOutput.Sources(result.Stdout);
        Assert.True(GetOutput.Row(rows, $"127.0.0.1:{seeder.Port}", description).Chunks >= 1, description);
    }

    [Fact]
    public async Task A_partial_source_that_leaves_midway_costs_only_its_chunks_in_flight()
    {
        const int chunks = 24;
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("seeder"), "leave.bin"), chunks * MiB, 143);
        await _cluster.StartPeerAsync(server, "seeder", uploadLimit: 3 * MiB);
        var leaver = await _cluster.StartPeerAsync(server, "leaver", menu: true, downloadsInShare: true);
        await leaver.Process.ExpectAsync(@"> $");
        await leaver.Process.WriteLineAsync("2");
        await leaver.Process.ExpectAsync(@"> $");
        await leaver.Process.WriteLineAsync("leave.bin");

        // The second downloader starts once the first holds a few chunks: it finds it as a
        // partial source, and takes chunks from it.
        await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
        var stayer = await _cluster.StartPeerAsync(server, "stayer", menu: true, arguments: ["--log-level", "debug"], downloadsInShare: true);
        await stayer.Process.ExpectAsync(@"> $");
        await stayer.Process.WriteLineAsync("2");
        await stayer.Process.ExpectAsync(@"> $");
        await stayer.Process.WriteLineAsync("leave.bin");
        var leaverAddress = $"127.0.0.1:{leaver.Port}";
        await stayer.Process.WaitForErrorLineAsync($@"leave\.bin: chunk \d+ verified from {Regex.Escape(leaverAddress)}$", TimeSpan.FromSeconds(30));

        leaver.Process.KillHard();
        await stayer.Process.WaitForLineAsync(@"download #\d+ of leave\.bin finished.*verified", 0, TimeSpan.FromSeconds(60));
        await TestFiles.AssertSameContentAsync(original, stayer.SharedPath("leave.bin"));

        var log = stayer.Process.Stderr.TextFrom(0);
        Assert.Matches($@"dropped source {Regex.Escape(leaverAddress)}: .*(connection|closed)", log);

        // Every chunk verified from the leaver before it left is kept: the chunks verified in
        // all are the file's, plus at most the few the end game doubled up.
        var verified = Regex.Matches(log, @"leave\.bin: chunk (\d+) verified from").Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(chunks, verified.Distinct().Count());
        Assert.True(verified.Count <= chunks + 4, $"{verified.Count} chunks verified for a file of {chunks}: work was thrown away\n{log}");
        await stayer.Process.WriteLineAsync("6");
        Assert.Equal(0, await stayer.Process.WaitForExitAsync());
    }

    /// <summary>Bytes a peer's log says it uploaded of <paramref name="file"/>: every upload's "finished: N bytes" or "failed after N bytes".</summary>
    private static long Uploaded(string log, string file) =>
        Regex.Matches(log, $@"upload of {Regex.Escape(file)} to \S+ (?:finished: (?<n>\d+) bytes|failed after (?<n>\d+) bytes)")
            .Sum(m => long.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture));

    /// <summary>The seeder's uploads, once it has logged the end of an upload to each downloader (their connections have closed).</summary>
    private static async Task<long> UploadedAsync(CliProcess seeder, string file, int downloaders)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Regex.Count(seeder.Stderr.TextFrom(0), $@"upload of {Regex.Escape(file)} to \S+ (?:finished|failed)") < downloaders && clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        return Uploaded(seeder.Stderr.TextFrom(0), file);
    }
}
