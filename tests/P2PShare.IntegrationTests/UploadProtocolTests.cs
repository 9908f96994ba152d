using P2PShare.IntegrationTests.Infrastructure;
using P2PShare.Protocol;

namespace P2PShare.IntegrationTests;

/// <summary>Acceptance point 5: raw GETs on a peer's upload port.</summary>
public sealed class UploadProtocolTests : IAsyncDisposable
{
    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Bad_names_get_ERROR_1_missing_files_ERROR_2_and_the_peer_keeps_serving()
    {
        var server = await _cluster.StartServerAsync();
        var real = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("peer"), "real.bin"), 300_000, 1);
        var peer = await _cluster.StartPeerAsync(server, "peer");

        // A name that climbs out of the shared folder is a bad request, whatever exists there.
        foreach (var name in new[] { "../etc/passwd", "/etc/passwd", "sub/../../real.bin", "..\\real.bin" })
        {
            await using var client = await RawClient.ConnectAsync(peer.Port, Channel.Peer);
            await client.SendAsync(new GetMessage(name));
            var error = await client.ReceiveErrorAsync();
            Assert.True(error.Code == ErrorCode.BadRequest, $"GET \"{name}\" was answered with {error}, not ERROR 1");
            Assert.False(string.IsNullOrWhiteSpace(error.Text));
        }

        await using (var client = await RawClient.ConnectAsync(peer.Port, Channel.Peer))
        {
            await client.SendAsync(new GetMessage("missing.bin"));
            var error = await client.ReceiveErrorAsync();
            Assert.True(error.Code == ErrorCode.NotFound, $"GET \"missing.bin\" was answered with {error}, not ERROR 2");
        }

        // The peer is still alive and serving.
        Assert.False(peer.Process.HasExited, peer.Process.Describe("the peer died"));
        var output = _cluster.Folder("out");
        var result = await _cluster.RunAsync(["get", "real.bin", "--server", server.Address, "--output", output]);
        Assert.True(result.ExitCode == 0, result.Description);
        await TestFiles.AssertSameContentAsync(real, Path.Combine(output, "real.bin"));
    }

    [Fact]
    public async Task One_upload_connection_carries_several_GETs_one_after_another()
    {
        var server = await _cluster.StartServerAsync();
        var share = _cluster.ShareFolder("peer");
        var files = new Dictionary<string, byte[]>
        {
            ["a.bin"] = await File.ReadAllBytesAsync(TestFiles.WriteRandom(Path.Combine(share, "a.bin"), 70_000, 1), TestContext.Current.CancellationToken),
            ["b.bin"] = await File.ReadAllBytesAsync(TestFiles.WriteRandom(Path.Combine(share, "b.bin"), (1024 * 1024) + 3, 2), TestContext.Current.CancellationToken),
            ["sub/c.bin"] = await File.ReadAllBytesAsync(TestFiles.WriteRandom(Path.Combine(share, "sub", "c.bin"), 1, 3), TestContext.Current.CancellationToken),
        };
        var peer = await _cluster.StartPeerAsync(server, "peer");

        await using var client = await RawClient.ConnectAsync(peer.Port, Channel.Peer);
        foreach (var name in new[] { "a.bin", "b.bin", "sub/c.bin", "a.bin" })
        {
            var bytes = await client.GetAsync(name);
            Assert.True(files[name].AsSpan().SequenceEqual(bytes), $"GET \"{name}\" returned {bytes.Length} bytes that differ from the file ({files[name].Length} bytes)");
        }

        // A GET for a missing file is answered on the same connection, which stays usable.
        await client.SendAsync(new GetMessage("missing.bin"));
        Assert.Equal(ErrorCode.NotFound, (await client.ReceiveErrorAsync()).Code);
        var again = await client.GetAsync("b.bin");
        Assert.True(files["b.bin"].AsSpan().SequenceEqual(again));

        // A ranged GET with the content id gets exactly that range.
        var id = ContentHasher.Compute(files["b.bin"]);
        await client.SendAsync(new GetMessage("b.bin", 1000, 5000, id));
        var data = Assert.IsType<DataMessage>(await client.ReceiveAsync());
        Assert.Equal((1000UL, 5000UL), (data.Offset, data.Length));
        var range = await client.ReadRawAsync(5000);
        Assert.True(files["b.bin"].AsSpan(1000, 5000).SequenceEqual(range));
    }
}
