using System.Diagnostics;
using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>
/// Issue 3, sources that cannot be trusted: a fake peer written in the test (see
/// <see cref="FakePeer"/>) registers the real file with the directory, gives the true hash list,
/// and then misbehaves on GET. The download still completes from the honest peers, and the
/// output names the bad source and why it was dropped.
/// </summary>
public sealed class LyingSourceTests : IAsyncDisposable
{
    private const int MiB = 1024 * 1024;

    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_source_that_sends_wrong_bytes_is_dropped_by_name_and_the_download_completes_from_the_honest_ones()
    {
        // The honest peers are slow (3 MiB/s each) and the liar answers at once, so it surely
        // gets chunks to answer before the honest ones have taken them all.
        var (server, original, honest, liar) = await StartTwoHonestPeersAndAFakeOneAsync("lie.bin", 24 * MiB, 71, FakePeerBehavior.CorruptChunks, uploadLimit: 3 * MiB);
        await using var _ = liar;
        var output = _cluster.Folder("out");

        var result = await _cluster.RunAsync(["get", "lie.bin", "--server", server.Address, "--output", output]);

        var description = $"{result.Description}\nthe liar ({liar.Address}) had {liar.Connections} connection(s), answered {liar.HashesAnswered} HASHES and {liar.GetsAnswered} of {liar.GetsReceived} GETs";
        Assert.True(result.ExitCode == 0, description);
        Assert.Equal(["lie.bin"], TestFiles.Names(output));
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "lie.bin"));
        Assert.True(liar.GetsAnswered > 0, $"the liar was never asked for a chunk, so the test proves nothing:\n{description}");

        // Named on stderr as it happens, and in the table with the reason.
        Assert.Matches($@"(?m)^dropped source {Escape(liar.Address)}: .*verif", result.Stderr);
        var rows = GetOutput.Sources(result.Stdout);
        var bad = GetOutput.Row(rows, liar.Address, description);
        Assert.True(bad.IsDropped && bad.Status.Contains("verif", StringComparison.OrdinalIgnoreCase), $"the liar's row says '{bad.Status}':\n{description}");
        Assert.Equal(0, bad.Chunks);
        foreach (var peer in honest)
        {
            var row = GetOutput.Row(rows, $"127.0.0.1:{peer.Port}", description);
            Assert.True(row.Status == "done" && row.Chunks > 0, $"{peer.Name} ({row.Source}): {row.Status}, {row.Chunks} chunks:\n{description}");
        }

        // Only verified chunks count, and the liar sent none.
        Assert.DoesNotContain(liar.Address, GetOutput.SavedLine(result.Stdout, description).Groups["sources"].Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_source_that_sends_wrong_bytes_among_fast_honest_ones_is_dropped_and_the_download_completes()
    {
        // With no upload limit, chunks arrive fast enough to be verified in passes of many at
        // once (on machines with AVX-512); the liar answers once that flow is under way, so its
        // chunk is hashed side by side with good ones: only the liar may be dropped, and only
        // the good copies written.
        var (server, original, honest, liar) = await StartTwoHonestPeersAndAFakeOneAsync("fastlie.bin", 128 * MiB, 74, FakePeerBehavior.CorruptChunksLate);
        await using var _ = liar;
        var output = _cluster.Folder("out");

        var result = await _cluster.RunAsync(["get", "fastlie.bin", "--server", server.Address, "--output", output]);

        var description = $"{result.Description}\nthe liar ({liar.Address}) answered {liar.GetsAnswered} of {liar.GetsReceived} GETs";
        Assert.True(result.ExitCode == 0, description);
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "fastlie.bin"));
        Assert.True(liar.GetsAnswered > 0, $"the liar was never asked for a chunk, so the test proves nothing:\n{description}");
        var rows = GetOutput.Sources(result.Stdout);
        var bad = GetOutput.Row(rows, liar.Address, description);
        Assert.True(bad.IsDropped && bad.Status.Contains("verif", StringComparison.OrdinalIgnoreCase), $"the liar's row says '{bad.Status}':\n{description}");
        Assert.Equal(0, bad.Chunks);
        foreach (var peer in honest)
        {
            Assert.Equal("done", GetOutput.Row(rows, $"127.0.0.1:{peer.Port}", description).Status);
        }
    }

    [Fact]
    public async Task A_source_that_never_answers_GET_does_not_hold_up_the_end_of_the_download()
    {
        // The silent source keeps its few chunks in flight; once the honest peers have nothing
        // else to fetch they fetch those too (the end game), long before the 10 s stall timeout.
        var (server, original, honest, silent) = await StartTwoHonestPeersAndAFakeOneAsync("quiet.bin", 8 * MiB, 72, FakePeerBehavior.SilentOnGet, uploadLimit: 4 * MiB);
        await using var _ = silent;
        var output = _cluster.Folder("out");

        var clock = Stopwatch.StartNew();
        var result = await _cluster.RunAsync(["get", "quiet.bin", "--server", server.Address, "--output", output]);
        clock.Stop();

        var description = $"{result.Description}\nthe silent peer ({silent.Address}) received {silent.GetsReceived} GETs";
        Assert.True(result.ExitCode == 0, description);
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "quiet.bin"));
        Assert.True(silent.GetsReceived > 0, $"the silent peer was never asked for a chunk, so the test proves nothing:\n{description}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(9), $"took {clock.Elapsed.TotalSeconds:0.0} s: the download waited for the silent source:\n{description}");
        var rows = GetOutput.Sources(result.Stdout);
        Assert.Equal(0, GetOutput.Row(rows, silent.Address, description).Chunks);
        // The honest peers sent every chunk; in the end game a chunk may come from both (the table counts every verified copy).
        Assert.InRange(honest.Sum(peer => GetOutput.Row(rows, $"127.0.0.1:{peer.Port}", description).Chunks), 8, 8 + 4);
    }

    [Fact]
    public async Task A_source_that_sends_nothing_for_10_s_is_dropped_and_named()
    {
        // One honest peer at 2 MiB/s needs about 14 s for 28 MiB, so the silent source's stall
        // timeout (10 s) runs out before the download ends.
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.Folder("original"), "stall.bin"), 28 * MiB, 73);
        TestFiles.CopyInto(original, _cluster.ShareFolder("honest"));
        var honest = await _cluster.StartPeerAsync(server, "honest", uploadLimit: 2 * MiB);
        await using var silent = await FakePeer.StartAsync(server, original, FakePeerBehavior.SilentOnGet);
        await Sources.WaitForAsync(server, "stall.bin", honest.Port, silent.Port);
        var output = _cluster.Folder("out");

        var result = await _cluster.RunAsync(["get", "stall.bin", "--server", server.Address, "--output", output], timeout: TimeSpan.FromSeconds(60));

        var description = $"{result.Description}\nthe silent peer ({silent.Address}) received {silent.GetsReceived} GETs";
        Assert.True(result.ExitCode == 0, description);
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "stall.bin"));
        Assert.True(silent.GetsReceived > 0, $"the silent peer was never asked for a chunk:\n{description}");
        Assert.Matches($@"(?m)^dropped source {Escape(silent.Address)}: .*10 s", result.Stderr);
        var rows = GetOutput.Sources(result.Stdout);
        Assert.True(GetOutput.Row(rows, silent.Address, description).IsDropped, description);
        Assert.Equal("done", GetOutput.Row(rows, $"127.0.0.1:{honest.Port}", description).Status);
    }

    /// <summary>
    /// A directory server; a random file <paramref name="name"/> shared by two honest peers
    /// (each limited to <paramref name="uploadLimit"/> bytes/s when given) and by a fake peer
    /// that behaves as <paramref name="behavior"/>; returns once the directory lists all three.
    /// The caller disposes the fake peer.
    /// </summary>
    private async Task<(ServerHandle Server, string Original, PeerHandle[] Honest, FakePeer Fake)> StartTwoHonestPeersAndAFakeOneAsync(
        string name, int size, int seed, FakePeerBehavior behavior, long? uploadLimit = null)
    {
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.Folder("original"), name), size, seed);
        TestFiles.CopyInto(original, _cluster.ShareFolder("honest1"));
        TestFiles.CopyInto(original, _cluster.ShareFolder("honest2"));
        var honest = await Task.WhenAll(
            _cluster.StartPeerAsync(server, "honest1", uploadLimit),
            _cluster.StartPeerAsync(server, "honest2", uploadLimit));
        var fake = await FakePeer.StartAsync(server, original, behavior);
        try
        {
            await Sources.WaitForAsync(server, name, [.. honest.Select(p => p.Port), fake.Port]);
            return (server, original, honest, fake);
        }
        catch
        {
            await fake.DisposeAsync();
            throw;
        }
    }

    private static string Escape(string text) => System.Text.RegularExpressions.Regex.Escape(text);
}
