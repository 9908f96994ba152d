using System.Diagnostics;
using P2PShare.IntegrationTests.Infrastructure;
using P2PShare.Protocol;

namespace P2PShare.IntegrationTests;

/// <summary>A running peer announces what is copied into, changed in, renamed in and deleted from its shared folder within 2 s.</summary>
public sealed class LiveShareTests : IAsyncDisposable
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);

    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Copying_a_file_into_a_running_peers_shared_folder_makes_it_searchable_within_2_s_deleting_removes_it_renaming_shows_the_new_name_only()
    {
        var server = await _cluster.StartServerAsync();
        var peer = await _cluster.StartPeerAsync(server, "peer");
        var staging = _cluster.Folder("staging");

        // Copied in: searchable, with its id, within 2 s of the copy finishing.
        var original = TestFiles.WriteRandom(Path.Combine(staging, "live.bin"), 3 * 1024 * 1024 + 17, 1);
        var id = await TestFiles.ContentIdAsync(original);
        File.Copy(original, peer.SharedPath("live.bin"));
        var clock = Stopwatch.StartNew();
        await WaitUntilAsync(server, peer, files => files.Any(f => f.Name == "live.bin" && f.Id.ToString() == id), clock, "the copied file was not listed");
        var found = Assert.Single(await _cluster.SearchJsonAsync(server, "live"));
        Assert.Equal(peer.Port, found.Port);
        Assert.Equal(new SearchFile("live.bin", 3 * 1024 * 1024 + 17, id), Assert.Single(found.Files));

        // Into a subfolder created on the fly.
        var nested = Path.Combine(peer.ShareFolder, "new", "folder");
        System.IO.Directory.CreateDirectory(nested);
        File.Copy(original, Path.Combine(nested, "deep.bin"));
        clock.Restart();
        await WaitUntilAsync(server, peer, files => files.Any(f => f.Name == "new/folder/deep.bin" && f.Id.ToString() == id), clock, "the file in a new subfolder was not listed");

        // Deleted: gone.
        File.Delete(peer.SharedPath("live.bin"));
        clock.Restart();
        await WaitUntilAsync(server, peer, files => files.All(f => f.Name != "live.bin"), clock, "the deleted file was still listed");

        // Renamed: the new name only.
        File.Move(Path.Combine(nested, "deep.bin"), peer.SharedPath("renamed.bin"));
        clock.Restart();
        await WaitUntilAsync(server, peer, files => files.Any(f => f.Name == "renamed.bin" && f.Id.ToString() == id) && files.All(f => f.Name != "new/folder/deep.bin"), clock, "the renamed file was not listed under its new name only");

        // Changed: listed with its new id, the old one gone.
        var changed = TestFiles.WriteRandom(Path.Combine(staging, "changed.bin"), 5000, 2);
        var newId = await TestFiles.ContentIdAsync(changed);
        File.Copy(changed, peer.SharedPath("renamed.bin"), overwrite: true);
        clock.Restart();
        await WaitUntilAsync(server, peer, files => files.Count(f => f.Name == "renamed.bin") == 1 && files.Any(f => f.Name == "renamed.bin" && f.Id.ToString() == newId && f.Size == 5000), clock, "the changed file was not listed with its new id");
        var all = await RawClient.SearchAsync(server.Port, "");
        Assert.Equal(["renamed.bin"], all.Single(p => p.Port == peer.Port).Files.Select(f => f.Name));
    }

    [Fact]
    public async Task A_file_still_being_written_is_announced_only_once_it_has_stopped_changing()
    {
        var server = await _cluster.StartServerAsync();
        var peer = await _cluster.StartPeerAsync(server, "peer");
        var path = peer.SharedPath("growing.bin");
        var data = new byte[64 * 1024];
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite);
        await using (stream)
        {
            // Written a piece every 200 ms for 2.4 s: never listed meanwhile.
            for (var i = 0; i < 12; i++)
            {
                new Random(i).NextBytes(data);
                await stream.WriteAsync(data, TestContext.Current.CancellationToken);
                await stream.FlushAsync(TestContext.Current.CancellationToken);
                await Task.Delay(200, TestContext.Current.CancellationToken);
                var listed = await RawClient.SearchAsync(server.Port, "growing");
                Assert.True(listed.Count == 0, $"growing.bin was listed after {i + 1} of 12 pieces, while it was still being written");
            }
        }

        var clock = Stopwatch.StartNew();
        var id = await TestFiles.ContentIdAsync(path);
        await WaitUntilAsync(server, peer, files => files.Any(f => f.Name == "growing.bin" && f.Id.ToString() == id && f.Size == 12UL * 64 * 1024), clock, "the finished file was not listed with its final id");
    }

    [Fact]
    public async Task A_download_into_a_folder_inside_the_share_is_shared_once_complete_and_its_part_files_never_are()
    {
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "fetched.bin"), 3 * 1024 * 1024, 3);
        var source = await _cluster.StartPeerAsync(server, "source", uploadLimit: 2 * 1024 * 1024);
        await Sources.WaitForAsync(server, "fetched.bin", source.Port);

        // This peer shares a folder its own downloads go into.
        var share = _cluster.ShareFolder("sharer");
        var downloads = Path.Combine(share, "incoming");
        string[] arguments = ["peer", "--server", server.Address, "--port", "0", "--share", share, "--downloads", downloads, "--state", _cluster.Folder("sharer", "state")];
        var sharer = _cluster.Start("sharer", arguments, _cluster.Folder("sharer"));
        var line = await sharer.ExpectAsync(TestCluster.PeerLinePattern, TimeSpan.FromSeconds(30));
        var port = int.Parse(line.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
        await sharer.ExpectAsync(@"> $");
        await sharer.WriteLineAsync("2");
        await sharer.ExpectAsync(@"> $");
        await sharer.WriteLineAsync("fetched.bin");
        await sharer.ExpectAsync(@"download #\d+ of fetched\.bin started");

        var clock = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(downloads, "fetched.bin")))
        {
            var listed = await RawClient.SearchAsync(server.Port, "");
            Assert.DoesNotContain(listed.Where(p => p.Port == port).SelectMany(p => p.Files), f => f.Name.Contains(".part", StringComparison.Ordinal));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), sharer.Describe("the download did not finish"));
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        clock.Restart();
        var id = await TestFiles.ContentIdAsync(original);
        await RawClient.SearchUntilAsync(server.Port, "fetched", results => results.Any(p => p.Port == port && p.Files.Any(f => f.Name == "incoming/fetched.bin" && f.Id.ToString() == id)), TimeSpan.FromSeconds(3));
        var mine = (await RawClient.SearchAsync(server.Port, "")).Where(p => p.Port == port).SelectMany(p => p.Files).Select(f => f.Name);
        Assert.Equal(["incoming/fetched.bin"], mine);
    }

    /// <summary>Searches every 50 ms until the peer's files satisfy <paramref name="condition"/>; fails when that takes longer than 2 s from <paramref name="clock"/>'s start.</summary>
    private static async Task WaitUntilAsync(ServerHandle server, PeerHandle peer, Func<IReadOnlyList<FileEntry>, bool> condition, Stopwatch clock, string problem)
    {
        IReadOnlyList<FileEntry> files = [];
        while (clock.Elapsed <= Budget)
        {
            var results = await RawClient.SearchAsync(server.Port, "");
            files = [.. results.Where(p => p.Port == peer.Port).SelectMany(p => p.Files)];
            if (condition(files))
            {
                TestContext.Current.TestOutputHelper?.WriteLine($"seen after {clock.ElapsedMilliseconds} ms");
                return;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.Fail(peer.Process.Describe($"{problem} within {Budget.TotalSeconds:0} s; listed: [{string.Join(", ", files.Select(f => $"{f.Name} {f.Size} {f.Id}"))}]"));
    }
}
