using System.Diagnostics;
using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>
/// Issue 13, item 11: a source that drips one byte every 4 s never trips the 10 s stall timeout,
/// but it must deliver each chunk, and the hash list, within a deadline derived from the minimum
/// rate (<c>--min-source-rate</c>, 32 KiB/s by default: 10 s + 32 s for a 1 MiB chunk), or it is
/// dropped and named with the reason.
/// </summary>
public sealed class SlowSourceTests : IAsyncDisposable
{
    private const int MiB = 1024 * 1024;

    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_source_that_drips_one_byte_every_4_s_as_the_only_source_is_dropped_as_too_slow_and_get_ends()
    {
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.Folder("original"), "drip.bin"), 3 * MiB, 111);
        await using var dripping = await FakePeer.StartAsync(server, original, FakePeerBehavior.DripsChunks);
        await Sources.WaitForAsync(server, "drip.bin", dripping.Port);
        var output = _cluster.Folder("out");

        var clock = Stopwatch.StartNew();
        var result = await _cluster.RunAsync(["get", "drip.bin", "--server", server.Address, "--output", output], timeout: TimeSpan.FromSeconds(120));
        clock.Stop();

        Assert.True(result.ExitCode == 1, result.Description);
        Assert.True(dripping.GetsReceived > 0, $"the dripping source was never asked for a chunk:\n{result.Description}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"took {clock.Elapsed.TotalSeconds:0} s:\n{result.Description}");
        Assert.Matches($@"(?m)^dropped source {Escape(dripping.Address)}: too slow: .*32768 bytes/s", result.Stderr);
        Assert.True(GetOutput.Row(GetOutput.Sources(result.Stdout), dripping.Address, result.Description).IsDropped, result.Description);
        Assert.Empty(TestFiles.Names(output));
    }

    [Fact]
    public async Task A_source_that_drips_its_hash_list_is_abandoned_at_the_deadline_and_the_next_source_gives_it()
    {
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.Folder("original"), "list.bin"), 3 * MiB, 112);

        // Registered first, so it is asked first.
        await using var dripping = await FakePeer.StartAsync(server, original, FakePeerBehavior.DripsHashList);
        await Sources.WaitForAsync(server, "list.bin", dripping.Port);
        TestFiles.CopyInto(original, _cluster.ShareFolder("honest"));
        var honest = await _cluster.StartPeerAsync(server, "honest");
        await Sources.WaitForAsync(server, "list.bin", dripping.Port, honest.Port);
        var output = _cluster.Folder("out");

        var result = await _cluster.RunAsync(["get", "list.bin", "--server", server.Address, "--output", output], timeout: TimeSpan.FromSeconds(90));

        Assert.True(result.ExitCode == 0, result.Description);
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "list.bin"));
        Assert.Matches($@"(?m)^dropped source {Escape(dripping.Address)}: too slow: .*hash list", result.Stderr);
        Assert.Equal("done", GetOutput.Row(GetOutput.Sources(result.Stdout), $"127.0.0.1:{honest.Port}", result.Description).Status);
    }

    private static string Escape(string text) => System.Text.RegularExpressions.Regex.Escape(text);
}
