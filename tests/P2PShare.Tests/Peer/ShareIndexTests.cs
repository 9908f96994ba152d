using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

public sealed class ShareIndexTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Scan_names_files_by_relative_slash_path_with_their_ids()
    {
        using var folder = new TempFolder();
        folder.Write("a.txt", [1, 2, 3]);
        folder.Write("music/b.bin", new byte[Limits.ChunkSize + 5]);
        using var index = new ShareIndex(folder.Path);

        var changes = await index.RescanAsync(Token);

        Assert.Equal(["a.txt", "music/b.bin"], index.Files.Select(f => f.Name));
        Assert.Equal(2, changes.Added.Count);
        Assert.True(index.TryGet("music/b.bin", out var file));
        Assert.Equal(Limits.ChunkSize + 5, file.Size);
        Assert.Equal(ContentHasher.Compute(new byte[Limits.ChunkSize + 5]), file.Id);
    }

    [Fact]
    public async Task Symbolic_links_and_partial_downloads_are_not_shared()
    {
        using var folder = new TempFolder();
        using var outside = new TempFolder();
        var secret = outside.Write("secret.txt", [42]);
        folder.Write("real.txt", [1]);
        folder.Write("movie.mkv.part", [2]);
        File.CreateSymbolicLink(Path.Combine(folder.Path, "link.txt"), secret);
        System.IO.Directory.CreateSymbolicLink(Path.Combine(folder.Path, "linked-dir"), outside.Path);
        using var index = new ShareIndex(folder.Path);

        await index.RescanAsync(Token);

        Assert.Equal(["real.txt"], index.Files.Select(f => f.Name));
    }

    [Fact]
    public async Task Resume_records_of_partial_downloads_are_not_shared()
    {
        using var folder = new TempFolder();
        folder.Write("real.txt", [1]);
        folder.Write("movie.mkv.part", [2]);
        folder.Write("movie.mkv.part.state", [3]);
        folder.Write("movie.mkv.part.state.tmp", [4]);
        folder.Write("notes.state", [5]);
        using var index = new ShareIndex(folder.Path);

        await index.RescanAsync(Token);

        Assert.Equal(["notes.state", "real.txt"], index.Files.Select(f => f.Name));
    }

    [Fact]
    public async Task Names_with_bidirectional_controls_or_zero_width_characters_are_skipped_with_a_reason()
    {
        using var folder = new TempFolder();
        folder.Write("good.txt", [1]);
        folder.Write("evil\u202Etxt.exe", [1]);
        folder.Write("ubuntu\u200B.iso", [1]);
        using var index = new ShareIndex(folder.Path);

        var changes = await index.RescanAsync(Token);

        Assert.Equal(["good.txt"], index.Files.Select(f => f.Name));
        Assert.Contains(changes.Skipped, s => s.Contains("evil\\u202etxt.exe", StringComparison.Ordinal) && s.Contains("U+202E", StringComparison.Ordinal));
        Assert.Contains(changes.Skipped, s => s.Contains("ubuntu\\u200b.iso", StringComparison.Ordinal) && s.Contains("U+200B", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Names_the_protocol_forbids_are_skipped_with_a_reason()
    {
        using var folder = new TempFolder();
        folder.Write("good.txt", [1]);
        folder.Write("bad\\name.txt", [1]);
        using var index = new ShareIndex(folder.Path);

        var changes = await index.RescanAsync(Token);

        Assert.Equal(["good.txt"], index.Files.Select(f => f.Name));
        Assert.Contains(changes.Skipped, s => s.Contains('\\', StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rescan_reports_added_changed_and_removed_files_only()
    {
        using var folder = new TempFolder();
        folder.Write("keep.txt", [1]);
        var change = folder.Write("change.txt", [1]);
        var remove = folder.Write("remove.txt", [1]);
        using var index = new ShareIndex(folder.Path);
        await index.RescanAsync(Token);

        File.WriteAllBytes(change, [1, 2]);
        File.SetLastWriteTimeUtc(change, DateTime.UtcNow.AddMinutes(1));
        File.Delete(remove);
        folder.Write("new.txt", [3]);
        var changes = await index.RescanAsync(Token);

        Assert.Equal(["change.txt", "new.txt"], changes.Added.Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["remove.txt"], changes.Removed);
        Assert.Equal(ContentHasher.Compute([1, 2]), changes.Added.Single(e => e.Name == "change.txt").Id);
    }

    [Fact]
    public async Task Missing_shared_folder_is_a_clear_error()
    {
        using var index = new ShareIndex(Path.Combine(Path.GetTempPath(), "p2pshare-missing-" + Guid.NewGuid()));

        var error = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => index.RescanAsync(Token));

        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_changed_after_it_was_announced_is_not_opened_for_upload()
    {
        using var folder = new TempFolder();
        var path = folder.Write("a.txt", [1, 2, 3]);
        using var index = new ShareIndex(folder.Path);
        await index.RescanAsync(Token);
        Assert.True(index.TryGet("a.txt", out var file));

        File.WriteAllBytes(path, [9, 9, 9, 9]);

        Assert.Throws<FileNotFoundException>(() => index.OpenForUpload(file).Dispose());
    }

    [Fact]
    public async Task A_file_replaced_by_a_link_is_not_opened_for_upload()
    {
        using var folder = new TempFolder();
        using var outside = new TempFolder();
        var secret = outside.Write("secret.txt", [1, 2, 3]);
        var path = folder.Write("a.txt", [1, 2, 3]);
        using var index = new ShareIndex(folder.Path);
        await index.RescanAsync(Token);
        Assert.True(index.TryGet("a.txt", out var file));

        File.Delete(path);
        File.CreateSymbolicLink(path, secret);

        Assert.Throws<FileNotFoundException>(() => index.OpenForUpload(file).Dispose());
    }

    [Fact]
    public async Task A_folder_on_the_path_replaced_by_a_link_is_not_opened_for_upload_even_to_a_look_alike()
    {
        using var folder = new TempFolder();
        using var outside = new TempFolder();
        var path = folder.Write("sub/a.txt", [1, 2, 3]);
        using var index = new ShareIndex(folder.Path);
        await index.RescanAsync(Token);
        Assert.True(index.TryGet("sub/a.txt", out var file));

        // The same name, size and time, but outside the shared folder, reached through "sub".
        var lookAlike = outside.Write("a.txt", [7, 7, 7]);
        File.SetLastWriteTimeUtc(lookAlike, File.GetLastWriteTimeUtc(path));
        System.IO.Directory.Move(Path.Combine(folder.Path, "sub"), Path.Combine(folder.Path, "moved"));
        System.IO.Directory.CreateSymbolicLink(Path.Combine(folder.Path, "sub"), outside.Path);

        var refused = Assert.Throws<FileNotFoundException>(() => index.OpenForUpload(file).Dispose());
        Assert.Contains("symbolic link", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_FIFO_put_in_place_of_a_file_is_refused_without_waiting_for_a_writer()
    {
        using var folder = new TempFolder();
        var path = folder.Write("a.txt", [1, 2, 3]);
        using var index = new ShareIndex(folder.Path);
        await index.RescanAsync(Token);
        Assert.True(index.TryGet("a.txt", out var file));
        File.Delete(path);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]))
        {
            await mkfifo.WaitForExitAsync(Token);
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var open = Task.Run(() => index.OpenForUpload(file).Dispose(), Token);

        await Assert.ThrowsAsync<FileNotFoundException>(() => open.WaitAsync(TimeSpan.FromSeconds(10), Token));
    }

    [Fact]
    public async Task What_is_opened_for_upload_is_the_announced_file()
    {
        using var folder = new TempFolder();
        folder.Write("dir/sub/a.bin", [1, 2, 3, 4, 5]);
        using var index = new ShareIndex(folder.Path);
        await index.RescanAsync(Token);
        Assert.True(index.TryGet("dir/sub/a.bin", out var file));

        await using var stream = index.OpenForUpload(file);

        Assert.True(stream.IsAsync);
        Assert.Equal(5, stream.Length);
        var bytes = new byte[5];
        await stream.ReadExactlyAsync(bytes, Token);
        Assert.Equal([1, 2, 3, 4, 5], bytes);
    }
}
