using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>Issue 16: <c>get NAME...</c> and <c>get --folder PREFIX/</c>, several files in one process.</summary>
public sealed class GetManyTests : IAsyncDisposable
{
    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Get_of_several_names_lands_every_good_file_and_reports_the_missing_and_the_corrupt_one()
    {
        var server = await _cluster.StartServerAsync();
        var share = _cluster.ShareFolder("source");
        string[] good = ["a.bin", "docs/b.bin", "docs/deep/c.bin", "d.bin", "e.bin"];
        for (var i = 0; i < good.Length; i++)
        {
            TestFiles.WriteRandom(Path.Combine(share, good[i]), 150_000 + (i * 70_000), 300 + i);
        }

        var source = await _cluster.StartPeerAsync(server, "source");
        // The only source of bad.bin answers every chunk with wrong bytes: it can never be verified.
        var bad = TestFiles.WriteRandom(Path.Combine(_cluster.Folder("original"), "bad.bin"), 300_000, 399);
        await using var liar = await FakePeer.StartAsync(server, bad, FakePeerBehavior.CorruptChunks);
        await Sources.WaitForAsync(server, "bad.bin", liar.Port);
        await Sources.WaitForAsync(server, "e.bin", source.Port);
        var output = _cluster.Folder("out");

        var result = await _cluster.RunAsync(["get", .. good[..3], "missing.bin", "bad.bin", .. good[3..], "--server", server.Address, "--output", output]);

        Assert.True(result.ExitCode == 1, result.Description);
        foreach (var name in good)
        {
            await TestFiles.AssertSameContentAsync(Path.Combine(share, name), Path.Combine(output, name));
            Assert.Contains($"saved {Path.Combine(output, name)} (", result.Stdout, StringComparison.Ordinal);
        }

        Assert.Equal([.. good.Order(StringComparer.Ordinal)], Files(output));
        Assert.Contains("missing.bin: no online peer shares a file named \"missing.bin\"", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("bad.bin: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("downloaded 5 of 7 files", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("2 failed", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_of_a_folder_fetches_every_file_under_it_with_its_subfolders_and_nothing_else()
    {
        var server = await _cluster.StartServerAsync();
        var share = _cluster.ShareFolder("source");
        string[] under = ["photos/2024/july/img1.jpg", "photos/2024/july/img2.jpg", "photos/2024/aug/img3.jpg", "photos/top.jpg"];
        for (var i = 0; i < under.Length; i++)
        {
            TestFiles.WriteRandom(Path.Combine(share, under[i]), 50_000 + (i * 1000), 500 + i);
        }

        // Names that contain the words but do not start with the folder.
        TestFiles.WriteRandom(Path.Combine(share, "photos.txt"), 100, 510);
        TestFiles.WriteRandom(Path.Combine(share, "old/photos/x.jpg"), 100, 511);
        TestFiles.WriteRandom(Path.Combine(share, "photosX/y.jpg"), 100, 512);
        var source = await _cluster.StartPeerAsync(server, "source");
        await Sources.WaitForAsync(server, "photos/top.jpg", source.Port);
        var output = _cluster.Folder("out");

        var result = await _cluster.RunAsync(["get", "--folder", "photos/", "--server", server.Address, "--output", output, "--parallel", "2"]);

        Assert.True(result.ExitCode == 0, result.Description);
        Assert.Equal([.. under.Order(StringComparer.Ordinal)], Files(output));
        foreach (var name in under)
        {
            await TestFiles.AssertSameContentAsync(Path.Combine(share, name), Path.Combine(output, name));
        }

        Assert.Contains("downloaded 4 of 4 files", result.Stdout, StringComparison.Ordinal);

        // Without the closing slash it is the same folder; with nothing under it, an error.
        var again = await _cluster.RunAsync(["get", "--folder", "photos/2024", "--server", server.Address, "--output", _cluster.Folder("again")]);
        Assert.True(again.ExitCode == 0, again.Description);
        Assert.Equal(3, Files(_cluster.Folder("again")).Count);
        var empty = await _cluster.RunAsync(["get", "--folder", "videos/", "--server", server.Address, "--output", _cluster.Folder("empty")]);
        Assert.True(empty.ExitCode == 1, empty.Description);
        Assert.Contains("no online peer shares a file under \"videos/\"", empty.Stderr, StringComparison.Ordinal);
        Assert.Empty(Files(_cluster.Folder("empty")));
    }

    [Fact]
    public async Task A_folder_get_interrupted_keeps_what_landed_and_the_part_of_the_rest_and_the_same_command_finishes_it()
    {
        var server = await _cluster.StartServerAsync();
        var share = _cluster.ShareFolder("source");
        TestFiles.WriteRandom(Path.Combine(share, "batch/small.bin"), 50_000, 701);
        TestFiles.WriteRandom(Path.Combine(share, "batch/slow.bin"), 8 * 1024 * 1024, 702);
        var source = await _cluster.StartPeerAsync(server, "source", uploadLimit: 2 * 1024 * 1024);
        await Sources.WaitForAsync(server, "batch/slow.bin", source.Port);
        var output = _cluster.Folder("out");
        string[] arguments = ["get", "--folder", "batch/", "--server", server.Address, "--output", output];
        var get = _cluster.Start("get", arguments);
        get.CloseInput();
        await ResumeRecord.WaitForAsync(Path.Combine(output, "batch", "slow.bin.part.state"), 0, get, TimeSpan.FromSeconds(15));

        await get.SignalAsync("INT");

        var exitCode = await get.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.True(exitCode == 130, get.Describe($"get exited with code {exitCode} on SIGINT, not 130"));
        Assert.Contains("1 not finished (interrupted)", get.Stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("batch/slow.bin: interrupted; ", get.Stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal(["batch/slow.bin.part", "batch/slow.bin.part.state", "batch/small.bin"], Files(output));
        await TestFiles.AssertSameContentAsync(Path.Combine(share, "batch/small.bin"), Path.Combine(output, "batch/small.bin"));

        // The same command again: the small file is there already and is not fetched again; the slow one resumes.
        var again = await _cluster.RunAsync(arguments, timeout: TimeSpan.FromSeconds(30));
        Assert.True(again.ExitCode == 0, again.Description);
        Assert.Contains($"already have {Path.Combine(output, "batch", "small.bin")} (50000 bytes", again.Stdout, StringComparison.Ordinal);
        Assert.Contains("downloaded 2 of 2 files", again.Stdout, StringComparison.Ordinal);
        Assert.Equal(["batch/slow.bin", "batch/small.bin"], Files(output));
        await TestFiles.AssertSameContentAsync(Path.Combine(share, "batch/slow.bin"), Path.Combine(output, "batch/slow.bin"));
    }

    [Fact]
    public async Task A_folder_get_goes_on_with_the_sources_it_has_when_the_directory_dies_mid_batch()
    {
        var server = await _cluster.StartServerAsync();
        var share = _cluster.ShareFolder("source");
        const int count = 3;
        for (var i = 0; i < count; i++)
        {
            TestFiles.WriteRandom(Path.Combine(share, $"batch/f{i}.bin"), 1_200_000, 720 + i);
        }

        // About 2 s a file, one at a time: the directory dies with most of the batch to go, and
        // each download left asks it for more sources several times (every 0.5 s) in vain.
        var source = await _cluster.StartPeerAsync(server, "source", uploadLimit: 600_000);
        await Sources.WaitForAsync(server, $"batch/f{count - 1}.bin", source.Port);
        var output = _cluster.Folder("out");
        var get = _cluster.Start("get", ["get", "--folder", "batch/", "--parallel", "1", "--server", server.Address, "--output", output]);
        get.CloseInput();
        await get.WaitForLineAsync("^saved ", timeout: TimeSpan.FromSeconds(15));

        server.Process.KillHard();

        var exitCode = await get.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(exitCode == 0, get.Describe($"get exited with code {exitCode} after the directory died"));
        Assert.Contains($"downloaded {count} of {count} files", get.Stdout.ToString(), StringComparison.Ordinal);
        for (var i = 0; i < count; i++)
        {
            await TestFiles.AssertSameContentAsync(Path.Combine(share, $"batch/f{i}.bin"), Path.Combine(output, $"batch/f{i}.bin"));
        }
    }

    [Theory]
    [InlineData("--folder", "../")]
    [InlineData("--folder", "/etc/")]
    [InlineData("--folder", "/")]
    [InlineData("--parallel", "0")]
    public async Task Get_refuses_a_folder_or_a_parallel_count_it_cannot_use(string option, string value)
    {
        var output = _cluster.Folder("out");

        var result = await _cluster.RunAsync(["get", "a.bin", "b.bin", option, value, "--server", "127.0.0.1:1", "--output", output]);

        Assert.True(result.ExitCode != 0, result.Description);
        Assert.Contains(option, result.Stderr, StringComparison.Ordinal);
        Assert.Empty(Files(output));
    }

    [Fact]
    public async Task Get_by_id_takes_at_most_one_name()
    {
        var result = await _cluster.RunAsync(["get", "--id", new string('a', 64), "a.bin", "b.bin", "--server", "127.0.0.1:1"]);

        Assert.True(result.ExitCode != 0, result.Description);
        Assert.Contains("--id takes at most one NAME", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_menu_downloads_several_rows_at_once_and_a_whole_folder()
    {
        var server = await _cluster.StartServerAsync();
        var share = _cluster.ShareFolder("source");
        string[] songs = ["song-a.bin", "song-b.bin", "song-c.bin"];
        string[] docs = ["docs/x.bin", "docs/sub/y.bin", "docs/sub/z.bin"];
        string[] notUnderDocs = ["old/docs/w.bin", "docs.bin"];
        var seed = 600;
        foreach (var name in songs.Concat(docs).Concat(notUnderDocs))
        {
            TestFiles.WriteRandom(Path.Combine(share, name), 80_000 + seed, seed++);
        }

        var source = await _cluster.StartPeerAsync(server, "source");
        await Sources.WaitForAsync(server, "docs/sub/z.bin", source.Port);
        var peer = await _cluster.StartPeerAsync(server, "menu", menu: true, arguments: ["--parallel", "2"]);
        var menu = peer.Process;
        await menu.ExpectAsync(@"1 search\b.*6 quit");
        await menu.ExpectAsync(@"> $");
        await menu.WriteLineAsync("1");
        await menu.ExpectAsync(@"> $");
        await menu.WriteLineAsync("song");
        var rowA = await menu.WaitForLineAsync(@"^\W*(?<row>\d+)\W+song-a\.bin\b.*│\s*$", menu.Position);
        var rowC = await menu.WaitForLineAsync(@"^\W*(?<row>\d+)\W+song-c\.bin\b.*│\s*$", menu.Position);
        menu.Position = Math.Max(rowA.End, rowC.End);
        await menu.ExpectAsync(@"> $");

        // A selection with a row the last search does not have starts nothing.
        await menu.WriteLineAsync("2");
        await menu.ExpectAsync(@"or folder/> $");
        await menu.WriteLineAsync("1-9");
        await menu.ExpectAsync(@"rows 1-9 are not all in the last search \(3 rows\)");
        await menu.ExpectAsync(@"> $");

        await menu.WriteLineAsync("2");
        await menu.ExpectAsync(@"or folder/> $");
        await menu.WriteLineAsync($"{rowA.Match.Groups["row"].Value}, {rowC.Match.Groups["row"].Value}");
        await menu.ExpectAsync(@"download #\d+ of song-a\.bin started");
        await menu.ExpectAsync(@"download #\d+ of song-c\.bin started");
        await menu.ExpectAsync(@"> $");
        await menu.WriteLineAsync("2");
        await menu.ExpectAsync(@"or folder/> $");
        await menu.WriteLineAsync("docs/");
        await menu.ExpectAsync(@"3 file\(s\) under docs/: downloading 2 at a time");

        foreach (var name in docs.Append("song-a.bin").Append("song-c.bin"))
        {
            await menu.WaitForLineAsync($@"download #\d+ of {System.Text.RegularExpressions.Regex.Escape(name)} finished:", 0, TimeSpan.FromSeconds(30));
            await TestFiles.AssertSameContentAsync(Path.Combine(share, name), peer.DownloadedPath(name));
        }

        Assert.All(notUnderDocs.Append("song-b.bin"), name => Assert.False(File.Exists(peer.DownloadedPath(name)), name));
        await menu.WriteLineAsync("6");
        Assert.Equal(0, await menu.WaitForExitAsync());
    }

    /// <summary>Every file under <paramref name="folder"/>, as names relative to it with '/'.</summary>
    private static List<string> Files(string folder) =>
        [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(folder, path).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)];
}
