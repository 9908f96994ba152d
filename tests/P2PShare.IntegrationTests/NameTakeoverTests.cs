using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using P2PShare.IntegrationTests.Infrastructure;
using P2PShare.Protocol;

namespace P2PShare.IntegrationTests;

/// <summary>
/// Issue 13, item 6: one address registering a name many times (different ports, a made-up id)
/// must not take the name over. Contents are ranked by the distinct addresses that hold them,
/// one address supplies at most a few sources of a download, and a content with no working
/// source gives way to the next one. Clients at other addresses are played from 127.0.0.2 and
/// 127.0.0.3; the real peers are at 127.0.0.1.
/// </summary>
public sealed class NameTakeoverTests : IAsyncDisposable
{
    private const int MiB = 1024 * 1024;
    // Set on the command line, so the test does not depend on the default.
    private const int SourcesPerAddress = 4;

    private static readonly IPAddress Attacker = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress Elsewhere = IPAddress.Parse("127.0.0.3");

    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_name_can_be_taken_over_from_one_address__200_registrations_from_one_address_lose_to_a_content_two_addresses_hold()
    {
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.Folder("original"), "ubuntu.iso"), 6 * MiB, 61);
        await using var fakes = await FakeRegistrations.StartAsync(server, Attacker, 200, new FileEntry("ubuntu.iso", 6 * MiB, FakeRegistrations.Id(0x66)));
        TestFiles.CopyInto(original, _cluster.ShareFolder("honest"));
        var honest = await _cluster.StartPeerAsync(server, "honest");
        await using var mirror = await FakePeer.StartAsync(server, original, FakePeerBehavior.Honest, address: Elsewhere);
        await Sources.WaitForAsync(server, "ubuntu.iso", honest.Port, mirror.Port);
        var output = _cluster.Folder("out");

        var result = await _cluster.RunAsync(["get", "ubuntu.iso", "--server", server.Address, "--output", output]);

        Assert.True(result.ExitCode == 0, result.Description);
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "ubuntu.iso"));
        Assert.True(fakes.HashesAnswered == 0, $"the fake content was tried ({fakes.HashesAnswered} HASHES):\n{result.Description}");
        Assert.DoesNotContain(Attacker.ToString(), result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_can_be_taken_over_from_one_address__when_the_best_held_content_has_no_working_source_the_next_is_tried()
    {
        // The made-up content is claimed from two addresses, the real one is held at one: the
        // made-up one is tried first, every source of it sends a hash list that does not match
        // its id, and then the real one is fetched.
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.Folder("original"), "ubuntu.iso"), 6 * MiB, 62);
        var fakeId = FakeRegistrations.Id(0x66);
        var claim = new FileEntry("ubuntu.iso", 6 * MiB, fakeId);
        await using var fakes = await FakeRegistrations.StartAsync(server, Attacker, 100, claim);
        await using var moreFakes = await FakeRegistrations.StartAsync(server, Elsewhere, 100, claim);
        TestFiles.CopyInto(original, _cluster.ShareFolder("honest"));
        var honest = await _cluster.StartPeerAsync(server, "honest");
        await Sources.WaitForAsync(server, "ubuntu.iso", honest.Port);
        var output = _cluster.Folder("out");

        var result = await _cluster.RunAsync(["get", "ubuntu.iso", "--server", server.Address, "--output", output, "--sources-per-address", SourcesPerAddress.ToString(CultureInfo.InvariantCulture)]);

        Assert.True(result.ExitCode == 0, result.Description);
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "ubuntu.iso"));
        var realId = await TestFiles.ContentIdAsync(original);
        Assert.Matches($@"(?m)^content {fakeId} \(.*from 2 addresses\) failed: .*; trying content {realId} \(.*from 1 address\)", result.Stderr);

        // Each address supplied at most a few sources, every one of them dropped for its hash list.
        var rows = GetOutput.Sources(result.Stdout);
        foreach (var address in new[] { Attacker, Elsewhere })
        {
            var fromAddress = rows.Where(r => r.Source.StartsWith(address + ":", StringComparison.Ordinal)).ToList();
            Assert.InRange(fromAddress.Count, 1, SourcesPerAddress);
            Assert.All(fromAddress, row => Assert.True(row.IsDropped && row.Status.Contains("hash list", StringComparison.Ordinal), $"{row.Source}: {row.Status}\n{result.Description}"));
        }

        Assert.InRange(fakes.HashesAnswered + moreFakes.HashesAnswered, 2, 2 * SourcesPerAddress);
        Assert.Equal("done", GetOutput.Row(rows, $"127.0.0.1:{honest.Port}", result.Description).Status);
        Assert.Equal(realId, GetOutput.SavedLine(result.Stdout, result.Description).Groups["id"].Value);
        Assert.DoesNotMatch(new Regex("(?m)^ +at "), result.Stderr);
    }
}
