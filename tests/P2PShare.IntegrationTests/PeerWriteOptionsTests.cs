using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>Issue 16: <c>peer --fsync</c> and <c>peer --direct-io</c> reach the downloads the menu starts.</summary>
public sealed class PeerWriteOptionsTests : IAsyncDisposable
{
    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Theory]
    [InlineData("--fsync")]
    [InlineData("--fsync", "--direct-io")]
    public async Task A_peer_with_write_options_downloads_a_file_into_its_subfolder_byte_identical(params string[] flags)
    {
        var server = await _cluster.StartServerAsync();
        var source = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "disk", "img.bin"), 20 * 1024 * 1024, 52);
        await _cluster.StartPeerAsync(server, "source");
        var peer = await _cluster.StartPeerAsync(server, "fetcher", menu: true, arguments: flags);
        await peer.Process.ExpectAsync(@"> $");

        await peer.Process.WriteLineAsync("2");
        await peer.Process.ExpectAsync(@"> $");
        await peer.Process.WriteLineAsync("disk/img.bin");
        var end = await peer.Process.ExpectAsync(@"download #\d+ of disk/img\.bin (?<how>finished|failed)", TimeSpan.FromSeconds(60));

        Assert.True(end.Groups["how"].Value == "finished", peer.Process.Describe("the download did not finish"));
        await TestFiles.AssertSameContentAsync(source, peer.DownloadedPath(Path.Combine("disk", "img.bin")));
    }
}
