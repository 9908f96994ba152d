using System.Diagnostics;
using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>Acceptance point 4: a peer killed with SIGKILL disappears from search results within a second.</summary>
public sealed class PeerDepartureTests : IAsyncDisposable
{
    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_peer_killed_with_SIGKILL_vanishes_from_search_results_within_a_second()
    {
        var server = await _cluster.StartServerAsync();
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("stays"), "stays-shared.bin"), 5000, 1);
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("dies"), "dies-shared.bin"), 6000, 2);
        var peers = await Task.WhenAll(_cluster.StartPeerAsync(server, "stays"), _cluster.StartPeerAsync(server, "dies"));
        var (stays, dies) = (peers[0], peers[1]);

        var before = await _cluster.SearchJsonAsync(server, "shared");
        Assert.Contains(before, p => p.Port == dies.Port && p.Files.Any(f => f.Name == "dies-shared.bin"));
        Assert.Contains(before, p => p.Port == stays.Port);

        dies.Process.KillHard();
        var exitCode = await dies.Process.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.NotEqual(0, exitCode);

        // Poll the directory directly (a search process takes longer than that to start).
        var clock = Stopwatch.StartNew();
        var polls = 0;
        while (true)
        {
            polls++;
            var results = await RawClient.SearchAsync(server.Port, "shared");
            if (!results.Any(p => p.Port == dies.Port || p.Files.Any(f => f.Name == "dies-shared.bin")))
            {
                Assert.Contains(results, p => p.Port == stays.Port);
                break;
            }

            Assert.True(
                clock.Elapsed < TimeSpan.FromSeconds(1.5),
                $"the killed peer was still listed {clock.ElapsedMilliseconds} ms after it died ({polls} searches)");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"the killed peer was gone from the results after {clock.ElapsedMilliseconds} ms ({polls} searches)");

        // The search verb agrees.
        var after = await _cluster.SearchJsonAsync(server, "shared");
        var remaining = Assert.Single(after);
        Assert.Equal(stays.Port, remaining.Port);
        Assert.Equal("stays-shared.bin", Assert.Single(remaining.Files).Name);
    }

    [Fact]
    public async Task A_peer_that_quits_its_menu_unregisters()
    {
        var server = await _cluster.StartServerAsync();
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("leaves"), "leaving.bin"), 5000, 3);
        var leaves = await _cluster.StartPeerAsync(server, "leaves", menu: true);
        Assert.Single(await RawClient.SearchAsync(server.Port, "leaving"));

        await leaves.Process.ExpectAsync(@"> $");
        await leaves.Process.WriteLineAsync("6");
        Assert.Equal(0, await leaves.Process.WaitForExitAsync());

        await RawClient.SearchUntilAsync(server.Port, "leaving", results => results.Count == 0, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task End_of_input_on_the_menu_quits_like_choice_6()
    {
        var server = await _cluster.StartServerAsync();
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("eof"), "eof.bin"), 5000, 4);
        var peer = await _cluster.StartPeerAsync(server, "eof", menu: true);

        await peer.Process.ExpectAsync(@"> $");
        peer.Process.CloseInput();
        Assert.Equal(0, await peer.Process.WaitForExitAsync());

        await RawClient.SearchUntilAsync(server.Port, "eof", results => results.Count == 0, TimeSpan.FromSeconds(1));
    }
}
