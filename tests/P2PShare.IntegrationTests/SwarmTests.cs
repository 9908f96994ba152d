using System.Diagnostics;
using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>
/// Issue 3, swarm downloads: one file fetched chunk by chunk from every peer that holds it, each
/// source's share visible in the sources table <c>get</c> prints; a source that dies is dropped
/// and the others finish; <c>--sources 1</c> uses a single peer.
/// </summary>
public sealed class SwarmTests : IAsyncDisposable
{
    private const int MiB = 1024 * 1024;

    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_200_MiB_file_held_by_4_rate_limited_peers_is_fetched_from_all_of_them_byte_identical()
    {
        // Each peer sends at most 10 MiB/s: one source alone would need 20 s, four about 5 s.
        const long Size = 200L * MiB;
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.Folder("original"), "big.bin"), Size, 200);
        var id = await TestFiles.ContentIdAsync(original);
        var names = new[] { "peer1", "peer2", "peer3", "peer4" };
        foreach (var name in names)
        {
            TestFiles.CopyInto(original, _cluster.ShareFolder(name));
        }

        var peers = await Task.WhenAll(names.Select(name => _cluster.StartPeerAsync(server, name, uploadLimit: 10 * MiB)));
        await Sources.WaitForAsync(server, "big.bin", [.. peers.Select(p => p.Port)]);
        var output = _cluster.Folder("out");

        var clock = Stopwatch.StartNew();
        var result = await _cluster.RunAsync(["get", "big.bin", "--server", server.Address, "--output", output], timeout: TimeSpan.FromSeconds(90));
        clock.Stop();

        Assert.True(result.ExitCode == 0, result.Description);
        Assert.Equal(["big.bin"], TestFiles.Names(output));
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "big.bin"));
        var rows = GetOutput.Sources(result.Stdout);
        Assert.True(rows.Count == 4, $"expected one row per source, found {rows.Count}:\n{result.Description}");
        foreach (var peer in peers)
        {
            var row = GetOutput.Row(rows, $"127.0.0.1:{peer.Port}", result.Description);
            Assert.True(row.Chunks > 0 && row.Bytes > 0, $"{peer.Name} ({row.Source}) contributed nothing:\n{result.Description}");
            Assert.True(row.Status == "done", $"{peer.Name} ({row.Source}) ended as '{row.Status}':\n{result.Description}");
        }

        // Every chunk was verified once at least; end-game duplicates may add a few.
        Assert.InRange(rows.Sum(r => r.Chunks), 200, 200 + (4 * 4));
        var saved = GetOutput.SavedLine(result.Stdout, result.Description);
        Assert.Equal(Path.Combine(output, "big.bin"), saved.Groups["path"].Value);
        Assert.Equal(Size.ToString(System.Globalization.CultureInfo.InvariantCulture), saved.Groups["size"].Value);
        Assert.Equal(id, saved.Groups["id"].Value);
        foreach (var peer in peers)
        {
            Assert.Contains($"127.0.0.1:{peer.Port}", saved.Groups["sources"].Value, StringComparison.Ordinal);
        }

        // Not a benchmark, but the point of a swarm: well under the 20 s a single source needs.
        TestContext.Current.TestOutputHelper?.WriteLine($"200 MiB from 4 sources at 10 MiB/s each: {clock.Elapsed.TotalSeconds:0.0} s\n{result.Stdout}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(16), $"took {clock.Elapsed.TotalSeconds:0.0} s, no faster than a single source:\n{result.Description}");
    }

    [Fact]
    public async Task With_sources_1_only_one_of_the_peers_sends_anything()
    {
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.Folder("original"), "one.bin"), (16 * MiB) + 3, 61);
        TestFiles.CopyInto(original, _cluster.ShareFolder("peer1"));
        TestFiles.CopyInto(original, _cluster.ShareFolder("peer2"));
        var peers = await Task.WhenAll(
            _cluster.StartPeerAsync(server, "peer1", uploadLimit: 16 * MiB),
            _cluster.StartPeerAsync(server, "peer2", uploadLimit: 16 * MiB));
        await Sources.WaitForAsync(server, "one.bin", [.. peers.Select(p => p.Port)]);
        var output = _cluster.Folder("out");

        var result = await _cluster.RunAsync(["get", "one.bin", "--server", server.Address, "--output", output, "--sources", "1"]);

        Assert.True(result.ExitCode == 0, result.Description);
        Assert.Equal(["one.bin"], TestFiles.Names(output));
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "one.bin"));
        var row = Assert.Single(GetOutput.Sources(result.Stdout));
        Assert.Contains(row.Source, peers.Select(p => $"127.0.0.1:{p.Port}"));
        Assert.True(row.Bytes > 0, result.Description);
        Assert.True(row.Chunks == 17, $"expected the single source to send all 17 chunks:\n{result.Description}");
        Assert.Equal("done", row.Status);
        Assert.Equal(row.Source, GetOutput.SavedLine(result.Stdout, result.Description).Groups["sources"].Value);
    }

    [Fact]
    public async Task When_one_of_three_sources_is_killed_mid_download_the_other_two_finish_it()
    {
        // 60 MiB at 3 × 4 MiB/s: about 5 s with all three, a little longer once one is gone.
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.Folder("original"), "three.bin"), 60 * MiB, 63);
        var names = new[] { "peer1", "peer2", "peer3" };
        foreach (var name in names)
        {
            TestFiles.CopyInto(original, _cluster.ShareFolder(name));
        }

        var peers = await Task.WhenAll(names.Select(name => _cluster.StartPeerAsync(server, name, uploadLimit: 4 * MiB)));
        await Sources.WaitForAsync(server, "three.bin", [.. peers.Select(p => p.Port)]);
        var output = _cluster.Folder("out");
        var get = _cluster.Start("get", ["get", "three.bin", "--server", server.Address, "--output", output]);
        get.CloseInput();

        var before = await ResumeRecord.WaitForAsync(Path.Combine(output, "three.bin.part.state"), 0.2, get, TimeSpan.FromSeconds(20));
        var victim = peers[0];
        victim.Process.KillHard();
        TestContext.Current.TestOutputHelper?.WriteLine($"killed {victim.Name} (127.0.0.1:{victim.Port}) after {before.Verified.Count} of {before.ChunkCount} chunks");

        var exitCode = await get.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var description = get.Describe($"get exited with code {exitCode}");
        Assert.True(exitCode == 0, description);
        Assert.Equal(["three.bin"], TestFiles.Names(output));
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "three.bin"));
        var rows = GetOutput.Sources(get.Stdout.ToString());
        Assert.True(rows.Count == 3, $"expected one row per source:\n{description}");
        var killed = GetOutput.Row(rows, $"127.0.0.1:{victim.Port}", description);
        Assert.True(killed.IsDropped, $"the killed source's row says '{killed.Status}', not 'dropped: ...':\n{description}");
        foreach (var peer in peers.Skip(1))
        {
            var row = GetOutput.Row(rows, $"127.0.0.1:{peer.Port}", description);
            Assert.True(row.Status == "done" && row.Chunks > 0, $"{peer.Name} ({row.Source}): {row.Status}, {row.Chunks} chunks:\n{description}");
        }

        Assert.True(rows.Sum(r => r.Chunks) >= 60, description);
        Assert.Matches($@"(?m)^dropped source 127\.0\.0\.1:{victim.Port}: \S", get.Stderr.ToString());
    }

    [Fact]
    public async Task A_peer_that_shares_the_same_content_under_another_name_is_a_working_source()
    {
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("peer1"), "same.bin"), 12 * MiB, 64);
        var copy = Path.Combine(_cluster.ShareFolder("peer2"), "copies", "other name.bin");
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(original, copy);
        var id = await TestFiles.ContentIdAsync(original);
        var peers = await Task.WhenAll(
            _cluster.StartPeerAsync(server, "peer1", uploadLimit: 3 * MiB),
            _cluster.StartPeerAsync(server, "peer2", uploadLimit: 3 * MiB));
        await Sources.WaitForIdAsync(server, id, [.. peers.Select(p => p.Port)]);
        var output = _cluster.Folder("out");

        // With --id, every peer that holds the content is a source, whatever its name for it.
        var result = await _cluster.RunAsync(["get", "same.bin", "--id", id, "--server", server.Address, "--output", output]);

        Assert.True(result.ExitCode == 0, result.Description);
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "same.bin"));
        var rows = GetOutput.Sources(result.Stdout);
        foreach (var peer in peers)
        {
            var row = GetOutput.Row(rows, $"127.0.0.1:{peer.Port}", result.Description);
            Assert.True(row.Status == "done" && row.Chunks > 0, $"{peer.Name} ({row.Source}): {row.Status}, {row.Chunks} chunks:\n{result.Description}");
        }
    }
}
