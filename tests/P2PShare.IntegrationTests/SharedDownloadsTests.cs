using P2PShare.IntegrationTests.Infrastructure;
using P2PShare.Protocol;

namespace P2PShare.IntegrationTests;

/// <summary>
/// Issue 14: a peer shares its finished downloads from its downloads folder (a folder apart from
/// its shared folder) under their names there, so a file stays available after its first source
/// has gone; <c>--no-share-downloads</c> keeps them to itself.
/// </summary>
public sealed class SharedDownloadsTests : IAsyncDisposable
{
    private const string FileName = "fetched.bin";
    private const long FileSize = (3 * 1024 * 1024) + 123;

    private static readonly TimeSpan DownloadTimeout = TimeSpan.FromSeconds(30);

    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_finished_download_is_found_at_the_downloader_by_name_and_fetched_from_it_once_the_first_source_is_gone()
    {
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("first"), FileName), FileSize, 14);
        var id = await TestFiles.ContentIdAsync(original);
        var first = await _cluster.StartPeerAsync(server, "first");
        await Sources.WaitForAsync(server, FileName, first.Port);

        // A file already in the downloads folder is shared from the start.
        TestFiles.WriteRandom(Path.Combine(_cluster.DownloadsFolder("second"), "earlier.bin"), 5000, 15);
        var second = await _cluster.StartPeerAsync(server, "second", menu: true, sharedFiles: 1);
        await DownloadThroughMenuAsync(second);
        await TestFiles.AssertSameContentAsync(original, second.DownloadedPath(FileName));

        // Listed at the downloader under its name in the downloads folder, with its id.
        await RawClient.SearchUntilAsync(server.Port, "fetched", results => results.Any(p => p.Port == second.Port && p.Files.Any(f => f.Name == FileName && f.Id.ToString() == id)), TimeSpan.FromSeconds(10));
        Assert.Contains(await RawClient.SearchAsync(server.Port, "earlier"), p => p.Port == second.Port);

        // The first source leaves; the downloader is the only one left that has the file.
        await first.Process.SignalAsync("TERM");
        Assert.Equal(0, await first.Process.WaitForExitAsync());
        var holders = await RawClient.SearchUntilAsync(server.Port, "fetched", results => results.All(p => p.Port != first.Port), TimeSpan.FromSeconds(5));
        Assert.Equal(second.Port, Assert.Single(holders).Port);

        // A GET by name alone is answered from the downloads folder.
        await using (var client = await RawClient.ConnectAsync(second.Port, Channel.Peer))
        {
            var bytes = await client.GetAsync(FileName);
            Assert.Equal(await File.ReadAllBytesAsync(original, TestContext.Current.CancellationToken), bytes);
        }

        // A third peer fetches it, by name, from the downloader.
        var third = _cluster.Folder("third", "downloads");
        var get = await _cluster.RunAsync(["get", FileName, "--server", server.Address, "--output", third]);
        Assert.True(get.ExitCode == 0, get.Description);
        await TestFiles.AssertSameContentAsync(original, Path.Combine(third, FileName));
        var row = GetOutput.Row(GetOutput.Sources(get.Stdout), $"127.0.0.1:{second.Port}", get.Description);
        Assert.False(row.IsDropped, get.Description);
        Assert.Equal(4, row.Chunks);
    }

    [Fact]
    public async Task With_no_share_downloads_a_finished_download_is_not_listed_nor_served_by_name()
    {
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("first"), FileName), FileSize, 16);
        var first = await _cluster.StartPeerAsync(server, "first");
        await Sources.WaitForAsync(server, FileName, first.Port);

        // Not even a file that was in the downloads folder before the start.
        TestFiles.WriteRandom(Path.Combine(_cluster.DownloadsFolder("second"), "earlier.bin"), 5000, 17);
        var second = await _cluster.StartPeerAsync(server, "second", menu: true, arguments: ["--no-share-downloads"], sharedFiles: 0);
        await DownloadThroughMenuAsync(second);
        await TestFiles.AssertSameContentAsync(original, second.DownloadedPath(FileName));

        // Longer than a watched folder takes to announce a new file (about 2 s).
        await Task.Delay(TimeSpan.FromSeconds(4), TestContext.Current.CancellationToken);
        var listed = await RawClient.SearchAsync(server.Port, "");
        Assert.DoesNotContain(listed, p => p.Port == second.Port);
        Assert.Contains(listed, p => p.Port == first.Port && p.Files.Any(f => f.Name == FileName));

        await using var client = await RawClient.ConnectAsync(second.Port, Channel.Peer);
        await client.SendAsync(new GetMessage(FileName));
        Assert.Equal(ErrorCode.NotFound, (await client.ReceiveErrorAsync()).Code);
    }

    /// <summary>Downloads <see cref="FileName"/> through the peer's menu (2, then the name) and waits for it to finish.</summary>
    private static async Task DownloadThroughMenuAsync(PeerHandle peer)
    {
        await peer.Process.ExpectAsync(@"> $");
        await peer.Process.WriteLineAsync("2");
        await peer.Process.ExpectAsync(@"> $");
        await peer.Process.WriteLineAsync(FileName);
        await peer.Process.ExpectAsync(@"download #\d+ of fetched\.bin started");
        var end = await peer.Process.ExpectAsync(@"download #\d+ of fetched\.bin (?<how>finished|failed)", DownloadTimeout);
        Assert.True(end.Groups["how"].Value == "finished", peer.Process.Describe("the menu's download failed"));
    }
}
