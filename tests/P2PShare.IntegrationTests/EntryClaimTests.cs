using System.Net;
using P2PShare.IntegrationTests.Infrastructure;
using P2PShare.Protocol;

namespace P2PShare.IntegrationTests;

/// <summary>
/// Issue 13, items 9 and 10: a downloader checks what an entry claims before it fetches. A
/// size-0 entry must carry the id of no bytes; a size p2pshare cannot fetch ends `get` (exit 1)
/// and the menu's download (state failed) with a clear "too large", never a stack trace.
/// </summary>
public sealed class EntryClaimTests : IAsyncDisposable
{
    private const string EmptyId = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private static readonly IPAddress Attacker = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress Elsewhere = IPAddress.Parse("127.0.0.3");

    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task An_empty_file_is_never_checked__a_size_0_entry_whose_id_is_not_that_of_no_bytes_is_refused()
    {
        var server = await _cluster.StartServerAsync();
        await using var fake = await FakeRegistrations.StartAsync(server, Attacker, 1, new FileEntry("empty.bin", 0, FakeRegistrations.Id(0x11)));
        var output = _cluster.Folder("out");

        var result = await _cluster.RunAsync(["get", "empty.bin", "--server", server.Address, "--output", output]);

        Assert.True(result.ExitCode == 1, result.Description);
        Assert.Contains(EmptyId, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("verified", result.Stdout, StringComparison.Ordinal);
        Assert.Empty(System.IO.Directory.GetFileSystemEntries(output));
    }

    [Fact]
    public async Task An_empty_file_is_never_checked__the_real_empty_file_is_fetched_though_a_false_one_is_claimed_from_more_addresses()
    {
        var server = await _cluster.StartServerAsync();
        var claim = new FileEntry("empty.bin", 0, FakeRegistrations.Id(0x11));
        await using var fake = await FakeRegistrations.StartAsync(server, Attacker, 1, claim);
        await using var moreFake = await FakeRegistrations.StartAsync(server, Elsewhere, 1, claim);
        await File.WriteAllBytesAsync(Path.Combine(_cluster.ShareFolder("honest"), "empty.bin"), [], TestContext.Current.CancellationToken);
        var honest = await _cluster.StartPeerAsync(server, "honest");
        await Sources.WaitForAsync(server, "empty.bin", honest.Port);
        var output = _cluster.Folder("out");

        var result = await _cluster.RunAsync(["get", "empty.bin", "--server", server.Address, "--output", output]);

        Assert.True(result.ExitCode == 0, result.Description);
        Assert.Equal(EmptyId, GetOutput.SavedLine(result.Stdout, result.Description).Groups["id"].Value);
        Assert.Equal(0, new FileInfo(Path.Combine(output, "empty.bin")).Length);
    }

    [Theory]
    [InlineData(4_611_686_018_427_387_904UL)]
    [InlineData(9_223_372_036_854_775_813UL)]
    public async Task Huge_sizes_crash_get__get_says_too_large_and_exits_1_without_a_stack_trace(ulong size)
    {
        var server = await _cluster.StartServerAsync();
        await using var fake = await FakeRegistrations.StartAsync(server, Attacker, 1, new FileEntry("huge.bin", size, FakeRegistrations.Id(0x42)));
        var output = _cluster.Folder("out");

        var result = await _cluster.RunAsync(["get", "huge.bin", "--server", server.Address, "--output", output]);

        Assert.True(result.ExitCode == 1, result.Description);
        Assert.Contains("too large", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("549754765312", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotMatch(new System.Text.RegularExpressions.Regex("(?m)^ +at "), result.Stderr);
        Assert.Empty(System.IO.Directory.GetFileSystemEntries(output));
    }

    [Fact]
    public async Task Huge_sizes_crash_get__in_the_menu_the_download_ends_failed_with_the_reason()
    {
        var server = await _cluster.StartServerAsync();
        await using var fake = await FakeRegistrations.StartAsync(server, Attacker, 1, new FileEntry("huge.bin", 1UL << 62, FakeRegistrations.Id(0x42)));
        var peer = await _cluster.StartPeerAsync(server, "menu", menu: true);
        await peer.Process.ExpectAsync(@"choose 1-6> $");

        await peer.Process.WriteLineAsync("2");
        await peer.Process.ExpectAsync(@"or folder/> $");
        await peer.Process.WriteLineAsync("huge.bin");
        await peer.Process.ExpectAsync(@"download #1 of huge\.bin failed: .*too large");

        await peer.Process.WriteLineAsync("3");
        var row = await peer.Process.ExpectAsync(@"(?m)^.*huge\.bin.*$");
        Assert.Contains("failed", row.Value, StringComparison.Ordinal);
        Assert.DoesNotContain("running", row.Value, StringComparison.Ordinal);
    }
}
