using System.Collections.Concurrent;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>Scans with the hash cache, in the background, reporting files as they become known.</summary>
public sealed class ShareScanTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_second_index_with_the_same_cache_hashes_nothing_and_has_the_same_ids_and_digests()
    {
        using var share = new TempFolder();
        using var state = new TempFolder();
        WriteFiles(share, count: 5, size: (2 * Limits.ChunkSize) + 3);
        share.Write("empty.txt", []);

        using (var cache = HashCache.Open(state.Path))
        using (var first = new ShareIndex(share.Path, cache))
        {
            var changes = await first.RescanAsync(Token);
            Assert.Equal(6, first.FilesHashed);
            Assert.Equal(0, first.FilesFromCache);
            Assert.Equal(5 * ((2L * Limits.ChunkSize) + 3), first.BytesHashed);
            Assert.Equal(new ShareScanStats(6, 0, 0, 6, first.BytesHashed, changes.Stats.Elapsed), changes.Stats);
        }

        using (var cache = HashCache.Open(state.Path))
        using (var second = new ShareIndex(share.Path, cache))
        {
            var changes = await second.RescanAsync(Token);

            Assert.Equal(0, second.FilesHashed);
            Assert.Equal(0, second.BytesHashed);
            Assert.Equal(6, second.FilesFromCache);
            Assert.Equal(6, changes.Added.Count);
            Assert.Equal((6, 6, 0), (changes.Stats.Files, changes.Stats.FromCache, changes.Stats.Hashed));
            foreach (var file in second.Files)
            {
                var (id, digests) = BuilderHash(File.ReadAllBytes(file.FullPath));
                Assert.Equal(id, file.Id);
                Assert.Equal(digests, file.ChunkDigests);
                Assert.True(second.TryGetById(id, out var byId));
                Assert.Equal(file.Id, byId.Id);
            }
        }
    }

    [Fact]
    public async Task A_file_whose_modification_time_or_size_changed_is_hashed_again_on_the_next_start()
    {
        using var share = new TempFolder();
        using var state = new TempFolder();
        var paths = WriteFiles(share, count: 3, size: 1000);
        await ScanOnceAsync(share.Path, state.Path);

        File.SetLastWriteTimeUtc(paths[0], File.GetLastWriteTimeUtc(paths[0]).AddSeconds(5));
        var grown = File.GetLastWriteTimeUtc(paths[1]);
        File.AppendAllText(paths[1], "more");
        File.SetLastWriteTimeUtc(paths[1], grown);
        var (hashed, fromCache) = await ScanOnceAsync(share.Path, state.Path);

        Assert.Equal((2, 1), (hashed, fromCache));
    }

    [Fact]
    public async Task A_corrupt_cache_does_not_stop_the_scan_and_the_next_start_hashes_nothing()
    {
        using var share = new TempFolder();
        using var state = new TempFolder();
        WriteFiles(share, count: 4, size: Limits.ChunkSize + 1);
        var garbage = new byte[8192];
        new Random(1).NextBytes(garbage);
        state.Write(HashCache.DatabaseFileName, garbage);

        var first = await ScanOnceAsync(share.Path, state.Path);
        var second = await ScanOnceAsync(share.Path, state.Path);

        Assert.Equal((4, 0), first);
        Assert.Equal((0, 4), second);
    }

    [Fact]
    public async Task A_cache_that_cannot_be_opened_only_means_hashing_everything()
    {
        using var share = new TempFolder();
        using var state = new TempFolder();
        WriteFiles(share, count: 2, size: 100);
        var notAFolder = state.Write("not-a-folder", [1]);

        var first = await ScanOnceAsync(share.Path, notAFolder);
        var second = await ScanOnceAsync(share.Path, notAFolder);

        Assert.Equal((2, 0), first);
        Assert.Equal((2, 0), second);
    }

    [Fact]
    public async Task Files_are_served_and_reported_one_by_one_while_the_scan_goes_on()
    {
        using var share = new TempFolder();
        WriteFiles(share, count: 4, size: Limits.ChunkSize);
        using var index = new ShareIndex(share.Path);
        using var observer = new GatedObserver(index);

        var scan = index.RescanAsync(observer, Token);
        var first = await observer.Reported.Reader.ReadAsync(Token).AsTask().WaitAsync(Patience, Token);

        // The observer holds the scan up: the first file is served while the others are not done.
        Assert.False(scan.IsCompleted);
        Assert.True(observer.ServedWhenReported[first.Name]);
        Assert.True(index.TryGet(first.Name, out _));
        Assert.True(index.TryGetById(first.Id, out _));
        Assert.True(index.Count < 4);
        Assert.NotNull(index.Progress);

        observer.Open();
        var changes = await scan.WaitAsync(Patience, Token);
        Assert.Equal(4, observer.Added.Count);
        Assert.Equal(changes.Added.Select(e => e.Name), observer.Added.Select(f => f.Name).Order(StringComparer.Ordinal));
        Assert.All(observer.ServedWhenReported.Values, Assert.True);
        Assert.Equal(0, index.PendingHashes);
        Assert.Null(index.Progress);
    }

    [Theory]
    [InlineData(true, 100, 100, 1.0, null)]
    [InlineData(false, 0, 100, 1.0, 0.0)]
    [InlineData(false, 100, 0, 1.0, null)]
    [InlineData(false, 300, 100, 1.0, 3.0)]
    [InlineData(false, 50, 200, 2.0, 0.5)]
    public void The_time_left_is_estimated_from_the_rate_so_far_once_the_walk_is_done(bool walking, long toHash, long read, double elapsed, double? expected)
    {
        var progress = new ShareScanProgress(walking, 1, toHash, read, TimeSpan.FromSeconds(elapsed));

        Assert.Equal(expected, progress.EstimatedRemaining?.TotalSeconds);
    }

    [Fact]
    public async Task Removed_files_are_reported_at_the_end_of_a_rescan_and_unchanged_ones_not_at_all()
    {
        using var share = new TempFolder();
        var paths = WriteFiles(share, count: 3, size: 10);
        using var index = new ShareIndex(share.Path);
        await index.RescanAsync(Token);
        using var observer = new GatedObserver(index);
        observer.Open();

        File.Delete(paths[0]);
        share.Write("new.bin", [1, 2, 3]);
        var changes = await index.RescanAsync(observer, Token);

        Assert.Equal(["new.bin"], observer.Added.Select(f => f.Name));
        Assert.Equal([Path.GetFileName(paths[0])], observer.Removed);
        Assert.Equal(observer.Removed, changes.Removed);
        Assert.False(index.TryGet(Path.GetFileName(paths[0]), out _));
        Assert.Equal(2, changes.Stats.Unchanged);
    }

    [Fact]
    public async Task A_rescan_during_a_scan_waits_for_it_and_reports_nothing_twice()
    {
        using var share = new TempFolder();
        WriteFiles(share, count: 3, size: 5000);
        using var index = new ShareIndex(share.Path);
        using var observer = new GatedObserver(index);

        var initial = index.RescanAsync(observer, Token);
        await observer.Reported.Reader.ReadAsync(Token).AsTask().WaitAsync(Patience, Token);
        share.Write("late.bin", [9]);
        var rescan = index.RescanAsync(observer, Token);
        await Task.Delay(100, Token);
        Assert.False(rescan.IsCompleted);

        observer.Open();
        await initial.WaitAsync(Patience, Token);
        var second = await rescan.WaitAsync(Patience, Token);

        var names = observer.Added.Select(f => f.Name).ToList();
        Assert.Equal(names.Distinct(StringComparer.Ordinal).Count(), names.Count);
        Assert.Equal(4, index.Count);
        Assert.Contains("late.bin", names);
        Assert.True(second.Added.Count <= 1);
        Assert.Empty(observer.Removed);
    }

    [Fact]
    public async Task Files_with_the_same_content_are_found_by_id_until_the_last_one_is_gone()
    {
        using var share = new TempFolder();
        var a = share.Write("a.bin", [1, 2, 3]);
        var b = share.Write("b.bin", [1, 2, 3]);
        using var index = new ShareIndex(share.Path);
        await index.RescanAsync(Token);
        var id = ContentHasher.Compute([1, 2, 3]);

        Assert.True(index.TryGetById(id, out _));
        File.Delete(a);
        await index.RescanAsync(Token);
        Assert.True(index.TryGetById(id, out var left));
        Assert.Equal("b.bin", left.Name);
        File.Delete(b);
        await index.RescanAsync(Token);
        Assert.False(index.TryGetById(id, out _));
    }

    [Fact]
    public async Task Rows_of_files_deleted_from_the_shared_folder_leave_the_cache()
    {
        using var share = new TempFolder();
        using var state = new TempFolder();
        var paths = WriteFiles(share, count: 2, size: 10);
        await ScanOnceAsync(share.Path, state.Path);
        var info = new FileInfo(paths[0]);
        var (length, ticks) = (info.Length, info.LastWriteTimeUtc.Ticks);

        File.Delete(paths[0]);
        await ScanOnceAsync(share.Path, state.Path);

        using var cache = HashCache.Open(state.Path);
        Assert.Null(cache.Lookup(paths[0], length, ticks));
        Assert.NotNull(cache.Lookup(paths[1], 10, new FileInfo(paths[1]).LastWriteTimeUtc.Ticks));
    }

    /// <summary>One start: a fresh cache connection and index; returns (hashed, from the cache).</summary>
    private static async Task<(long Hashed, long FromCache)> ScanOnceAsync(string share, string state)
    {
        using var cache = HashCache.Open(state);
        using var index = new ShareIndex(share, cache);
        await index.RescanAsync(Token);
        return (index.FilesHashed, index.FilesFromCache);
    }

    private static List<string> WriteFiles(TempFolder folder, int count, long size)
    {
        var paths = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var data = new byte[size];
            new Random(i + 1).NextBytes(data);
            paths.Add(folder.Write($"file{i}.bin", data));
        }

        return paths;
    }

    private static (ContentId Id, byte[] Digests) BuilderHash(byte[] data)
    {
        using var builder = new ContentIdBuilder(keepChunkDigests: true);
        builder.Append(data);
        var id = builder.Finish();
        return (id, builder.ChunkDigests);
    }

    /// <summary>Records what a scan reports; holds the scan up in its first report until <see cref="Open"/>.</summary>
    private sealed class GatedObserver(ShareIndex index) : IShareObserver, IDisposable
    {
        private readonly ManualResetEventSlim _gate = new(false);

        public System.Threading.Channels.Channel<SharedFile> Reported { get; } = System.Threading.Channels.Channel.CreateUnbounded<SharedFile>();

        public ConcurrentQueue<SharedFile> Added { get; } = new();

        public ConcurrentQueue<string> Removed { get; } = new();

        public ConcurrentDictionary<string, bool> ServedWhenReported { get; } = new(StringComparer.Ordinal);

        public void Open() => _gate.Set();

        public void Dispose() => _gate.Dispose();

        public void FileAdded(SharedFile file)
        {
            ServedWhenReported[file.Name] = index.TryGet(file.Name, out var served) && ReferenceEquals(served, file);
            Added.Enqueue(file);
            Reported.Writer.TryWrite(file);
            if (!_gate.Wait(Patience))
            {
                throw new TimeoutException("the test never opened the gate");
            }
        }

        public void FilesRemoved(IReadOnlyList<string> names)
        {
            foreach (var name in names)
            {
                Removed.Enqueue(name);
            }
        }
    }
}
