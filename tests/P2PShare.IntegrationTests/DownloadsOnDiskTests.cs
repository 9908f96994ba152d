using P2PShare.IntegrationTests.Infrastructure;
using P2PShare.Testing;

namespace P2PShare.IntegrationTests;

/// <summary>
/// Issue 13, items 7, 8 and 14, through real processes: <c>get</c> never writes through a link
/// in the downloads folder, never deletes verified work on an error path, and finds a full disk
/// before it fetches anything. The disk-full scenarios mount a small tmpfs (root only; they skip,
/// saying why, where mounting is refused).
/// </summary>
public sealed class DownloadsOnDiskTests : IAsyncDisposable
{
    private const int MiB = 1024 * 1024;

    private readonly TestCluster _cluster = new();
    private TmpfsMount? _disk;

    public async ValueTask DisposeAsync()
    {
        // The processes go first: they may hold files open on the small disk.
        await _cluster.DisposeAsync();
        _disk?.Dispose();
    }

    [Fact]
    public async Task Symlinks_in_the_downloads_folder_are_not_followed_by_get()
    {
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "a.bin"), (3 * MiB) + 17, 71);
        var source = await _cluster.StartPeerAsync(server, "source");
        await Sources.WaitForAsync(server, "a.bin", source.Port);
        var output = _cluster.Folder("out");
        var outside = _cluster.Folder("outside");
        var part = Path.Combine(output, "a.bin.part");
        string[] links = [part, part + ".state", part + ".state.tmp"];
        var victims = new List<(string Link, string Target, string Hash)>();
        for (var i = 0; i < links.Length; i++)
        {
            var target = TestFiles.WriteRandom(Path.Combine(outside, $"victim{i}"), 1000 + i, 710 + i);
            File.CreateSymbolicLink(links[i], target);
            victims.Add((links[i], target, await TestFiles.Sha256Async(target)));
        }

        var result = await _cluster.RunAsync(["get", "a.bin", "--server", server.Address, "--output", output]);

        Assert.True(result.ExitCode == 0, result.Description);
        var saved = Path.Combine(output, "a.bin");
        Assert.Null(new FileInfo(saved).LinkTarget);
        await TestFiles.AssertSameContentAsync(original, saved);
        foreach (var (link, target, hash) in victims)
        {
            Assert.True(hash == await TestFiles.Sha256Async(target), $"{target}, linked from {Path.GetFileName(link)}, was written to:\n{result.Description}");
            Assert.Equal(target, new FileInfo(link).LinkTarget);
        }
    }

    [Fact]
    public async Task Symlinks_in_the_downloads_folder_a_linked_folder_of_the_name_is_refused_by_get()
    {
        var server = await _cluster.StartServerAsync();
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "music", "song.bin"), MiB + 3, 72);
        var source = await _cluster.StartPeerAsync(server, "source");
        await Sources.WaitForAsync(server, "music/song.bin", source.Port);
        var output = _cluster.Folder("out");
        var outside = _cluster.Folder("outside");
        System.IO.Directory.CreateSymbolicLink(Path.Combine(output, "music"), outside);

        var result = await _cluster.RunAsync(["get", "music/song.bin", "--server", server.Address, "--output", output]);

        Assert.True(result.ExitCode == 1, result.Description);
        Assert.Empty(System.IO.Directory.EnumerateFileSystemEntries(outside));
        Assert.Matches("music.*link", result.Stderr);
    }

    [Fact]
    public async Task Interrupted_resume_keeps_verified_work_when_the_record_temporary_name_is_taken()
    {
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "kill.bin"), 24 * MiB, 73);
        var source = await _cluster.StartPeerAsync(server, "source", uploadLimit: 4 * MiB);
        await Sources.WaitForAsync(server, "kill.bin", source.Port);
        var output = _cluster.Folder("out");
        var state = Path.Combine(output, "kill.bin.part.state");
        string[] arguments = ["get", "kill.bin", "--server", server.Address, "--output", output];

        var first = _cluster.Start("get-1", arguments);
        first.CloseInput();
        var recorded = await ResumeRecord.WaitForAsync(state, 0.2, first, TimeSpan.FromSeconds(30));
        first.KillHard();
        await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
        var record = ResumeRecord.TryRead(state);
        Assert.True(record is not null && record.Verified.Count >= recorded.Verified.Count, $"no valid record after the kill; the folder holds [{string.Join(", ", TestFiles.Names(output))}]");
        // Where the record used to be rewritten through a temporary file.
        System.IO.Directory.CreateDirectory(state + ".tmp");

        var second = await _cluster.RunAsync(arguments, timeout: TimeSpan.FromSeconds(60));

        Assert.True(second.ExitCode == 0, second.Description);
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "kill.bin"));
        Assert.True(GetOutput.ResumedChunks(second.Stdout) == record.Verified.Count, $"expected 'resumed: {record.Verified.Count} chunk(s) ...':\n{second.Description}");
    }

    [Fact]
    public async Task Disk_full_is_found_before_get_fetches_a_chunk()
    {
        var output = Path.Combine(MountSmallDisk(10 * MiB), "out");
        var server = await _cluster.StartServerAsync();
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "big.bin"), 30_000_000, 74);
        var source = await _cluster.StartPeerAsync(server, "source");
        await Sources.WaitForAsync(server, "big.bin", source.Port);

        var result = await _cluster.RunAsync(["get", "big.bin", "--server", server.Address, "--output", output]);

        Assert.True(result.ExitCode == 1, result.Description);
        Assert.Contains("disk is full", result.Stderr, StringComparison.Ordinal);
        Assert.True(GetOutput.Sources(result.Stdout).Sum(r => r.Chunks) == 0, $"chunks were fetched for a file that cannot fit:\n{result.Description}");
        Assert.Empty(System.IO.Directory.EnumerateFileSystemEntries(output));
    }

    [Fact]
    public async Task Disk_full_during_a_get_stops_neither_its_chunks_nor_its_resume_record()
    {
        var output = Path.Combine(MountSmallDisk(40 * MiB), "out");
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "fill.bin"), 24 * MiB, 75);
        var source = await _cluster.StartPeerAsync(server, "source", uploadLimit: 4 * MiB);
        await Sources.WaitForAsync(server, "fill.bin", source.Port);
        var get = _cluster.Start("get", ["get", "fill.bin", "--server", server.Address, "--output", output]);
        get.CloseInput();
        await ResumeRecord.WaitForAsync(Path.Combine(output, "fill.bin.part.state"), 0.1, get, TimeSpan.FromSeconds(30));

        _disk!.Fill("filler");

        var exitCode = await get.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(exitCode == 0, get.Describe($"get exited with code {exitCode} once the disk was full"));
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "fill.bin"));
    }

    private string MountSmallDisk(long bytes)
    {
        _disk = TmpfsMount.TryCreate(bytes, out var reason);
        if (_disk is null)
        {
            Assert.Skip(reason);
        }

        return _disk.Path;
    }
}
