using System.Net;
using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>
/// Issue 13, item 12: IPv6 end to end on ::1. A peer listens on both families, so a peer that
/// registers over IPv6 (and is listed at its IPv6 address) serves downloads; a directory on
/// <c>[::1]</c> or <c>[::]</c> serves peers of either family.
/// </summary>
public sealed class Ipv6Tests : IAsyncDisposable
{
    private const int MiB = 1024 * 1024;

    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task IPv6_a_peer_that_registers_over_IPv6_serves_downloads_at_the_address_the_directory_lists()
    {
        var server = await _cluster.StartServerAsync(listen: IPAddress.IPv6Loopback);
        Assert.StartsWith("[::1]:", server.Address, StringComparison.Ordinal);
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("six"), "six.bin"), 3 * MiB, 121);
        var peer = await _cluster.StartPeerAsync(server, "six");

        var listed = Assert.Single(await _cluster.SearchJsonAsync(server, "six"));
        Assert.Equal("::1", listed.Address);
        Assert.Equal(peer.Port, listed.Port);

        var output = _cluster.Folder("out");
        var result = await _cluster.RunAsync(["get", "six.bin", "--server", server.Address, "--output", output]);

        Assert.True(result.ExitCode == 0, result.Description);
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "six.bin"));
        Assert.Contains($"from [::1]:{peer.Port} in", GetOutput.SavedLine(result.Stdout, result.Description).Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IPv6_a_dual_stack_directory_lists_peers_of_both_families_and_a_download_uses_both()
    {
        var server = await _cluster.StartServerAsync(listen: IPAddress.IPv6Any);
        var over6 = server with { Host = IPAddress.IPv6Loopback };
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.Folder("original"), "both.bin"), 24 * MiB, 122);
        TestFiles.CopyInto(original, _cluster.ShareFolder("four"));
        TestFiles.CopyInto(original, _cluster.ShareFolder("six"));

        // Rate-limited, so that neither can deliver the whole file before the other has begun.
        var four = await _cluster.StartPeerAsync(server, "four", uploadLimit: 4 * MiB);
        var six = await _cluster.StartPeerAsync(over6, "six", uploadLimit: 4 * MiB);
        await Sources.WaitForAsync(over6, "both.bin", four.Port, six.Port);

        var listed = await _cluster.SearchJsonAsync(over6, "both");
        Assert.Contains(listed, p => p.Address == "127.0.0.1" && p.Port == four.Port);
        Assert.Contains(listed, p => p.Address == "::1" && p.Port == six.Port);

        var output = _cluster.Folder("out");
        var result = await _cluster.RunAsync(["get", "both.bin", "--server", server.Address, "--output", output]);

        Assert.True(result.ExitCode == 0, result.Description);
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "both.bin"));
        var rows = GetOutput.Sources(result.Stdout);
        foreach (var source in new[] { $"127.0.0.1:{four.Port}", $"[::1]:{six.Port}" })
        {
            var row = GetOutput.Row(rows, source, result.Description);
            Assert.True(row.Status == "done" && row.Chunks > 0, $"{source}: {row.Status}, {row.Chunks} chunks:\n{result.Description}");
        }
    }
}
