using System.Diagnostics;
using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>
/// The directory's heartbeat with real processes: a peer frozen with SIGSTOP stops answering
/// PINGs and is dropped after the peer timeout; the peer next to it, answering, stays.
/// </summary>
public sealed class DirectoryHeartbeatTests : IAsyncDisposable
{
    private static readonly string[] ShortHeartbeat = ["--ping-interval", "1", "--peer-timeout", "3"];

    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_peer_frozen_with_SIGSTOP_disappears_from_search_results_after_the_timeout()
    {
        var (server, frozen, awake) = await StartAsync();

        await frozen.Process.SignalAsync("STOP");
        try
        {
            var clock = Stopwatch.StartNew();
            var results = await RawClient.SearchUntilAsync(server.Port, "heartbeat", r => r.All(p => p.Port != frozen.Port), TimeSpan.FromSeconds(8));
            var gone = clock.Elapsed;
            TestContext.Current.TestOutputHelper?.WriteLine($"the frozen peer was gone from the results {gone.TotalMilliseconds:0} ms after SIGSTOP");

            // Not at once: it was heard from (a PONG at least) within the last ping interval.
            Assert.True(gone >= TimeSpan.FromSeconds(1.5), $"the frozen peer was dropped after only {gone.TotalMilliseconds:0} ms");
            Assert.Contains(results, p => p.Port == awake.Port);
            await server.Process.WaitForErrorLineAsync($@"peer 127\.0\.0\.1:{frozen.Port} unregistered \(timeout: nothing for 3 s\)", TimeSpan.FromSeconds(5));

            // The peer that answers PINGs stays, well past the peer timeout.
            var wait = gone + TimeSpan.FromSeconds(3.5) - clock.Elapsed;
            await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, TestContext.Current.CancellationToken);
            Assert.Contains(await RawClient.SearchAsync(server.Port, "heartbeat"), p => p.Port == awake.Port);
        }
        finally
        {
            await frozen.Process.SignalAsync("CONT");
        }
    }

    [Fact]
    public async Task A_peer_frozen_with_SIGSTOP_registers_again_after_SIGCONT()
    {
        var (server, frozen, _) = await StartAsync();
        await frozen.Process.SignalAsync("STOP");
        try
        {
            await RawClient.SearchUntilAsync(server.Port, "heartbeat", r => r.All(p => p.Port != frozen.Port), TimeSpan.FromSeconds(8));
        }
        finally
        {
            await frozen.Process.SignalAsync("CONT");
        }

        var results = await RawClient.SearchUntilAsync(server.Port, "heartbeat", r => r.Any(p => p.Port == frozen.Port), TimeSpan.FromSeconds(10));
        Assert.Equal(["frozen-heartbeat.bin"], results.Single(p => p.Port == frozen.Port).Files.Select(f => f.Name));
    }

    private async Task<(ServerHandle Server, PeerHandle Frozen, PeerHandle Awake)> StartAsync()
    {
        var server = await _cluster.StartServerAsync(arguments: ShortHeartbeat);
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("frozen"), "frozen-heartbeat.bin"), 5000, 21);
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("awake"), "awake-heartbeat.bin"), 6000, 22);
        var peers = await Task.WhenAll(_cluster.StartPeerAsync(server, "frozen"), _cluster.StartPeerAsync(server, "awake"));
        var results = await RawClient.SearchAsync(server.Port, "heartbeat");
        Assert.Contains(results, p => p.Port == peers[0].Port);
        Assert.Contains(results, p => p.Port == peers[1].Port);
        return (server, peers[0], peers[1]);
    }
}
