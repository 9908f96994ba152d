using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>
/// The shared folder and the downloads folder served as one set of names (real folders and
/// files): the shared folder wins a name both have, ids are found in either, and the shared
/// file's removal exposes the downloaded one, in lookups and in what is announced.
/// </summary>
public sealed class SharedFoldersTests : IDisposable
{
    private static readonly byte[] SharedContent = [1, 1, 1];
    private static readonly byte[] DownloadedContent = [2, 2, 2, 2];
    private static readonly byte[] OnlyDownloadedContent = [3];

    private readonly TempFolder _shareFolder = new();
    private readonly TempFolder _downloadsFolder = new();
    private readonly ShareIndex _share;
    private readonly ShareIndex _downloads;
    private readonly SharedFolders _folders;
    private readonly RecordingObserver _announced = new();

    public SharedFoldersTests()
    {
        _shareFolder.Write("both.bin", SharedContent);
        _shareFolder.Write("mine.txt", [9]);
        _downloadsFolder.Write("both.bin", DownloadedContent);
        _downloadsFolder.Write("music/fetched.bin", OnlyDownloadedContent);
        _downloadsFolder.Write("half.bin.part", [4]);
        _share = new ShareIndex(_shareFolder.Path);
        _downloads = new ShareIndex(_downloadsFolder.Path);
        _folders = new SharedFolders(_share, _downloads);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _share.Dispose();
        _downloads.Dispose();
        _shareFolder.Dispose();
        _downloadsFolder.Dispose();
    }

    [Fact]
    public async Task A_name_in_both_folders_is_the_shared_folders_and_is_listed_once()
    {
        await ScanBothAsync();

        Assert.True(_folders.TryGet("both.bin", out var both));
        Assert.Equal(ContentHasher.Compute(SharedContent), both.Id);
        Assert.False(_folders.IsDownload(both));
        Assert.True(_folders.TryGet("music/fetched.bin", out var fetched));
        Assert.True(_folders.IsDownload(fetched));
        Assert.False(_folders.TryGet("half.bin.part", out _));
        Assert.Equal(["both.bin", "mine.txt", "music/fetched.bin"], _folders.Files.Select(f => f.Name));
        Assert.Equal(ContentHasher.Compute(SharedContent), _folders.Files[0].Id);
        Assert.Equal(3, _folders.Count);
        Assert.Equal(1, _folders.DownloadsCount);
    }

    [Fact]
    public async Task Ids_are_found_in_either_folder_even_under_a_name_the_shared_folder_hides()
    {
        await ScanBothAsync();

        Assert.True(_folders.TryGetById(ContentHasher.Compute(OnlyDownloadedContent), out var fetched));
        Assert.Equal("music/fetched.bin", fetched.Name);
        Assert.True(_folders.TryGetById(ContentHasher.Compute(DownloadedContent), out var hidden));
        Assert.Equal("both.bin", hidden.Name);
        Assert.True(_folders.IsDownload(hidden));
        Assert.True(_folders.TryGetById(ContentHasher.Compute(SharedContent), out var shared));
        Assert.False(_folders.IsDownload(shared));
        Assert.False(_folders.TryGetById(ContentHasher.Compute([7, 7]), out _));
    }

    [Fact]
    public async Task Each_file_is_opened_in_the_folder_it_lies_in()
    {
        await ScanBothAsync();
        Assert.True(_folders.TryGetById(ContentHasher.Compute(DownloadedContent), out var hidden));
        Assert.True(_folders.TryGet("both.bin", out var shared));

        Assert.Equal(DownloadedContent, await ReadAllAsync(_folders.OpenForUpload(hidden)));
        Assert.Equal(SharedContent, await ReadAllAsync(_folders.OpenForUpload(shared)));
    }

    [Fact]
    public async Task Only_the_winner_of_each_name_is_announced()
    {
        await ScanBothAsync();

        Assert.Equal(["both.bin", "mine.txt", "music/fetched.bin"], _announced.Entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(ContentHasher.Compute(SharedContent), _announced.Entries["both.bin"]!.Id);
    }

    [Fact]
    public async Task Removing_the_shared_file_exposes_the_downloaded_one_by_name_and_in_the_announcements()
    {
        await ScanBothAsync();
        File.Delete(Path.Combine(_shareFolder.Path, "both.bin"));

        var changes = await _share.RescanAsync(_folders.Announcing(_share, _announced), Token);

        Assert.Equal(["both.bin"], changes.Removed);
        Assert.True(_folders.TryGet("both.bin", out var both));
        Assert.Equal(ContentHasher.Compute(DownloadedContent), both.Id);
        Assert.True(_folders.IsDownload(both));
        Assert.Equal(ContentHasher.Compute(DownloadedContent), _announced.Entries["both.bin"]!.Id);
        Assert.Equal(["both.bin", "mine.txt", "music/fetched.bin"], _folders.Files.Select(f => f.Name));
        Assert.Equal(2, _folders.DownloadsCount);

        // The combined changes say the name is still there, now with the downloaded content.
        var combined = _folders.Combine(changes, new ShareChanges([], [], []));
        Assert.Empty(combined.Removed);
        Assert.Equal(ContentHasher.Compute(DownloadedContent), Assert.Single(combined.Added).Id);
    }

    [Fact]
    public async Task Removing_a_downloaded_file_the_shared_folder_hides_announces_nothing_removing_the_last_copy_removes_the_name()
    {
        await ScanBothAsync();
        var before = _announced.Entries.Count;
        File.Delete(Path.Combine(_downloadsFolder.Path, "both.bin"));
        File.Delete(Path.Combine(_downloadsFolder.Path, "music", "fetched.bin"));

        var changes = await _downloads.RescanAsync(_folders.Announcing(_downloads, _announced), Token);

        Assert.Equal(["both.bin", "music/fetched.bin"], changes.Removed);
        Assert.Equal(["music/fetched.bin"], _announced.Removed);
        Assert.Equal(ContentHasher.Compute(SharedContent), _announced.Entries["both.bin"]!.Id);
        Assert.Null(_announced.Entries["music/fetched.bin"]);
        Assert.Equal(before, _announced.Entries.Count);
        var combined = _folders.Combine(new ShareChanges([], [], []), changes);
        Assert.Equal(["music/fetched.bin"], combined.Removed);
        Assert.Empty(combined.Added);
    }

    [Fact]
    public async Task A_downloaded_file_arriving_under_a_shared_name_is_not_announced()
    {
        await ScanBothAsync();
        _announced.Clear();
        _downloadsFolder.Write("mine.txt", [8, 8]);

        var changes = await _downloads.RescanAsync(_folders.Announcing(_downloads, _announced), Token);

        Assert.Equal(["mine.txt"], changes.Added.Select(e => e.Name));
        Assert.Empty(_announced.Entries);
        Assert.Empty(_folders.Combine(new ShareChanges([], [], []), changes).Added);
        Assert.True(_folders.TryGet("mine.txt", out var mine));
        Assert.False(_folders.IsDownload(mine));
    }

    [Fact]
    public async Task Without_a_downloads_index_only_the_shared_folder_is_served()
    {
        await _share.RescanAsync(Token);
        var folders = new SharedFolders(_share);

        Assert.Equal(["both.bin", "mine.txt"], folders.Files.Select(f => f.Name));
        Assert.False(folders.TryGet("music/fetched.bin", out _));
        Assert.Equal(0, folders.DownloadsCount);
    }

    [Theory]
    [InlineData("share", "downloads", true)]
    [InlineData("share", "share", false)]
    [InlineData("share", "share/", false)]
    [InlineData("share", "share/incoming", false)]
    [InlineData("share", "share-more", true)]
    [InlineData("downloads/share", "downloads", true)]
    [InlineData("/", "downloads", false)]
    public void The_downloads_folder_gets_an_index_of_its_own_unless_it_is_the_shared_folder_or_inside_it(string share, string downloads, bool own)
    {
        var root = Path.GetTempPath();
        Assert.Equal(own, SharedFolders.NeedsOwnIndex(Path.Combine(root, share), Path.Combine(root, downloads)));
    }

    private async Task ScanBothAsync()
    {
        await _share.RescanAsync(_folders.Announcing(_share, _announced), Token);
        await _downloads.RescanAsync(_folders.Announcing(_downloads, _announced), Token);
    }

    private static async Task<byte[]> ReadAllAsync(FileStream stream)
    {
        await using (stream)
        {
            var memory = new MemoryStream();
            await stream.CopyToAsync(memory, Token);
            return memory.ToArray();
        }
    }

    /// <summary>What the announcements would send: the last word for each name (an entry, or null for a removal).</summary>
    private sealed class RecordingObserver : IShareObserver
    {
        public Dictionary<string, FileEntry?> Entries { get; } = new(StringComparer.Ordinal);

        public List<string> Removed { get; } = [];

        public void Clear()
        {
            Entries.Clear();
            Removed.Clear();
        }

        public void FileAdded(SharedFile file) => Entries[file.Name] = file.ToEntry();

        public void FilesRemoved(IReadOnlyList<string> names)
        {
            foreach (var name in names)
            {
                Entries[name] = null;
                Removed.Add(name);
            }
        }
    }
}
