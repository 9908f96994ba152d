using P2PShare.IntegrationTests.Infrastructure;
using P2PShare.Protocol;

namespace P2PShare.IntegrationTests;

/// <summary>
/// Acceptance point 6: a frame header that announces 2^31 payload bytes is refused with ERROR 3
/// before anything is allocated for it: the process does not grow, and it keeps serving.
/// </summary>
public sealed class OversizedFrameTests : IAsyncDisposable
{
    private const long MaxGrowth = 50L * 1024 * 1024;

    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_peer_answers_a_2_GiB_GET_frame_with_ERROR_3_without_growing_and_keeps_serving()
    {
        var server = await _cluster.StartServerAsync();
        var kept = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("peer"), "kept.bin"), 200_000, 1);
        var peer = await _cluster.StartPeerAsync(server, "peer");

        await AssertRefusedWithoutGrowthAsync(peer.Process, peer.Port, Channel.Peer, [0x02, 0x80, 0x00, 0x00, 0x00]);

        var output = _cluster.Folder("out");
        var result = await _cluster.RunAsync(["get", "kept.bin", "--server", server.Address, "--output", output]);
        Assert.True(result.ExitCode == 0, result.Description);
        await TestFiles.AssertSameContentAsync(kept, Path.Combine(output, "kept.bin"));
    }

    [Fact]
    public async Task The_server_answers_a_2_GiB_REGISTER_frame_with_ERROR_3_without_growing_and_keeps_serving()
    {
        var server = await _cluster.StartServerAsync();
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("peer"), "listed.bin"), 1000, 2);

        await AssertRefusedWithoutGrowthAsync(server.Process, server.Port, Channel.Directory, [0x01, 0x80, 0x00, 0x00, 0x00]);

        // Still accepting registrations and answering searches.
        var peer = await _cluster.StartPeerAsync(server, "peer");
        var found = Assert.Single(await _cluster.SearchJsonAsync(server, "listed"));
        Assert.Equal(peer.Port, found.Port);
        Assert.Equal("listed.bin", Assert.Single(found.Files).Name);
    }

    private static async Task AssertRefusedWithoutGrowthAsync(CliProcess process, int port, Channel channel, byte[] header)
    {
        // Warm up: one complete exchange, so the first-connection costs (JIT, pools) are paid
        // before the baseline is taken.
        await using (var warmup = await RawClient.ConnectAsync(port, channel))
        {
            await warmup.SendAsync(channel == Channel.Peer ? new GetMessage("warm-up-missing.bin") : new SearchMessage("warm-up"));
            await warmup.ReceiveAsync();
        }

        var before = ProcessTools.ReadResidentBytes(process.Pid);
        await using (var client = await RawClient.ConnectAsync(port, channel))
        {
            await client.SendRawAsync(header);
            var error = await client.ReceiveErrorAsync();
            Assert.True(error.Code == ErrorCode.TooLarge, $"a frame header announcing 2^31 bytes was answered with {error}, not ERROR 3");
        }

        await Task.Delay(300, TestContext.Current.CancellationToken);
        var after = ProcessTools.ReadResidentBytes(process.Pid);
        TestContext.Current.TestOutputHelper?.WriteLine($"{process.Name}: VmRSS {before / 1024} kB before, {after / 1024} kB after");
        Assert.True(after - before < MaxGrowth, $"{process.Name} grew from {before / 1024} kB to {after / 1024} kB after the oversized frame");
        Assert.False(process.HasExited, process.Describe($"{process.Name} died"));
    }
}
