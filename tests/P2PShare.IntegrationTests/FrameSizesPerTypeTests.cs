using P2PShare.IntegrationTests.Infrastructure;
using P2PShare.Protocol;

namespace P2PShare.IntegrationTests;

/// <summary>
/// Issue 13 item 4 (from the read): frames are sized per receiver and type. The upload server
/// accepted frames of 16 MiB, and of types it never receives, though its largest legitimate
/// frame is a GET of 1,074 bytes; the directory server accepted any type. Each is now refused
/// from the header, with the code PROTOCOL.md section 4 gives, and the process keeps serving.
/// </summary>
public sealed class FrameSizesPerTypeTests : IAsyncDisposable
{
    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_peer_refuses_a_GET_over_1074_bytes_and_types_it_never_receives_from_the_header_and_keeps_serving()
    {
        var server = await _cluster.StartServerAsync();
        var kept = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("peer"), "kept.bin"), 100_000, 3);
        var peer = await _cluster.StartPeerAsync(server, "peer");

        // Headers only: each refusal must come without any payload byte.
        await AssertRefusedAsync(peer.Port, Channel.Peer, "02 00000433", ErrorCode.TooLarge, "limit of 1074 bytes");
        await AssertRefusedAsync(peer.Port, Channel.Peer, "0b 00000021", ErrorCode.TooLarge, "limit of 32 bytes");
        await AssertRefusedAsync(peer.Port, Channel.Peer, "01 00100000", ErrorCode.BadRequest, "unexpected REGISTER");
        await AssertRefusedAsync(peer.Port, Channel.Peer, "04 00000010", ErrorCode.BadRequest, "unexpected DATA");
        await AssertRefusedAsync(peer.Port, Channel.Peer, "0c 00000028", ErrorCode.BadRequest, "unexpected HASH_LIST");

        var output = _cluster.Folder("out");
        var result = await _cluster.RunAsync(["get", "kept.bin", "--server", server.Address, "--output", output]);
        Assert.True(result.ExitCode == 0, result.Description);
        await TestFiles.AssertSameContentAsync(kept, Path.Combine(output, "kept.bin"));
    }

    [Fact]
    public async Task The_directory_refuses_types_it_never_receives_and_an_oversized_SEARCH_from_the_header_and_keeps_serving()
    {
        var server = await _cluster.StartServerAsync();

        await AssertRefusedAsync(server.Port, Channel.Directory, "03 00000004", ErrorCode.BadRequest, "unexpected RESULTS");
        await AssertRefusedAsync(server.Port, Channel.Directory, "04 00000010", ErrorCode.BadRequest, "unexpected DATA");
        await AssertRefusedAsync(server.Port, Channel.Directory, "0b 00000020", ErrorCode.BadRequest, "unexpected HASHES");
        await AssertRefusedAsync(server.Port, Channel.Directory, "02 00010002", ErrorCode.TooLarge, "limit of 65537 bytes");

        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("peer"), "still-listed.bin"), 1000, 4);
        var peer = await _cluster.StartPeerAsync(server, "peer");
        Assert.Equal(peer.Port, Assert.Single(await _cluster.SearchJsonAsync(server, "still-listed")).Port);
    }

    [Theory]
    [InlineData("--frame-memory-per-address 15", "--frame-memory-per-address must be a number of MiB from 16")]
    [InlineData("--frame-memory 0", "--frame-memory must be a number of MiB from 16")]
    [InlineData("--frame-memory-per-address 64 --frame-memory 32", "--frame-memory (32 MiB) must be at least --frame-memory-per-address (64 MiB)")]
    public async Task Bad_frame_memory_options_are_refused(string options, string message)
    {
        var result = await _cluster.RunAsync(["server", "--listen", "127.0.0.1:0", .. options.Split(' ')], timeout: TimeSpan.FromSeconds(20));

        Assert.True(result.ExitCode != 0, result.Description);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
    }

    private static async Task AssertRefusedAsync(int port, Channel channel, string headerHex, ErrorCode code, string text)
    {
        await using var client = await RawClient.ConnectAsync(port, channel);
        await client.SendRawAsync(Convert.FromHexString(headerHex.Replace(" ", "", StringComparison.Ordinal)));
        var error = await client.ReceiveErrorAsync();
        Assert.True(error.Code == code, $"the header {headerHex} was answered with {error}, not ERROR {(int)code}");
        Assert.Contains(text, error.Text, StringComparison.Ordinal);
        Assert.True(await client.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)), "the connection stayed open after the refusal");
    }
}
