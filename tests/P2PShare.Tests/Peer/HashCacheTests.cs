using Microsoft.Data.Sqlite;
using P2PShare.Peer;
using P2PShare.Protocol;
using P2PShare.Tests.Directory;

namespace P2PShare.Tests.Peer;

public sealed class HashCacheTests
{
    private const string FilePath = "/share/music/song.mp3";
    private const long Size = (3 * Limits.ChunkSize) + 17;
    private const long Ticks = 638_000_000_000_000_000;

    [Fact]
    public void A_stored_file_is_found_by_path_size_and_modification_time()
    {
        using var state = new TempFolder();
        var (id, digests) = Hash(Size, seed: 1);
        using var cache = HashCache.Open(state.Path);

        cache.Store(FilePath, Size, Ticks, id, digests);
        var hit = cache.Lookup(FilePath, Size, Ticks);

        Assert.True(cache.IsAvailable);
        Assert.NotNull(hit);
        Assert.Equal(id, hit.Value.Id);
        Assert.Equal(digests, hit.Value.ChunkDigests);
    }

    [Fact]
    public void Another_modification_time_size_or_path_misses()
    {
        using var state = new TempFolder();
        var (id, digests) = Hash(Size, seed: 2);
        using var cache = HashCache.Open(state.Path);
        cache.Store(FilePath, Size, Ticks, id, digests);

        Assert.Null(cache.Lookup(FilePath, Size, Ticks + 1));
        Assert.Null(cache.Lookup(FilePath, Size + 1, Ticks));
        Assert.Null(cache.Lookup("/share/music/other.mp3", Size, Ticks));
        Assert.NotNull(cache.Lookup(FilePath, Size, Ticks));
    }

    [Fact]
    public void Storing_again_replaces_the_entry_of_the_path()
    {
        using var state = new TempFolder();
        var (oldId, oldDigests) = Hash(Size, seed: 3);
        var (newId, newDigests) = Hash(10, seed: 4);
        using var cache = HashCache.Open(state.Path);

        cache.Store(FilePath, Size, Ticks, oldId, oldDigests);
        cache.Store(FilePath, 10, Ticks + 5, newId, newDigests);

        Assert.Null(cache.Lookup(FilePath, Size, Ticks));
        Assert.Equal(newId, cache.Lookup(FilePath, 10, Ticks + 5)?.Id);
    }

    [Fact]
    public void Entries_outlive_the_process_that_stored_them_and_are_shared_by_peers_with_one_state_folder()
    {
        using var state = new TempFolder();
        var (id, digests) = Hash(Size, seed: 5);
        using (var first = HashCache.Open(state.Path))
        {
            first.Store(FilePath, Size, Ticks, id, digests);
        }

        using var second = HashCache.Open(state.Path);
        using var third = HashCache.Open(state.Path);
        third.Store("/other/share/x", 0, Ticks, ContentHasher.Compute([]), []);

        Assert.Equal(id, second.Lookup(FilePath, Size, Ticks)?.Id);
        Assert.Equal(ContentHasher.Compute([]), second.Lookup("/other/share/x", 0, Ticks)?.Id);
        Assert.Equal("wal", Pragma(state.Path, "journal_mode"));
    }

    [Fact]
    public void An_empty_file_is_cached_with_no_digests()
    {
        using var state = new TempFolder();
        using var cache = HashCache.Open(state.Path);

        cache.Store(FilePath, 0, Ticks, ContentHasher.Compute([]), []);

        var hit = cache.Lookup(FilePath, 0, Ticks);
        Assert.Equal(ContentHasher.Compute([]), hit?.Id);
        Assert.Empty(hit!.Value.ChunkDigests);
    }

    [Fact]
    public void A_garbage_database_is_replaced_with_a_warning()
    {
        using var state = new TempFolder();
        var garbage = new byte[64 * 1024];
        new Random(6).NextBytes(garbage);
        state.Write(HashCache.DatabaseFileName, garbage);
        var logger = new RecordingLogger<HashCache>();
        var (id, digests) = Hash(Size, seed: 7);

        using var cache = HashCache.Open(state.Path, logger);
        cache.Store(FilePath, Size, Ticks, id, digests);

        Assert.True(cache.IsAvailable);
        Assert.Contains(logger.Lines, line => line.StartsWith("Warning:", StringComparison.Ordinal) && line.Contains("corrupt", StringComparison.Ordinal));
        Assert.Equal(id, cache.Lookup(FilePath, Size, Ticks)?.Id);
    }

    [Fact]
    public void A_state_folder_that_cannot_be_made_leaves_the_cache_off_without_failing()
    {
        using var state = new TempFolder();
        var notAFolder = state.Write("file", [1, 2, 3]);
        var logger = new RecordingLogger<HashCache>();
        var (id, digests) = Hash(Size, seed: 8);

        using var cache = HashCache.Open(Path.Combine(notAFolder, "state"), logger);
        cache.Store(FilePath, Size, Ticks, id, digests);

        Assert.False(cache.IsAvailable);
        Assert.Null(cache.Lookup(FilePath, Size, Ticks));
        Assert.Contains(logger.Lines, line => line.StartsWith("Warning:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_row_whose_id_does_not_match_its_digests_is_a_miss()
    {
        using var state = new TempFolder();
        var (id, digests) = Hash(Size, seed: 9);
        using var cache = HashCache.Open(state.Path);
        cache.Store(FilePath, Size, Ticks, id, digests);
        cache.Store("/share/short", Size, Ticks, id, digests[..^1]);

        using (var connection = new SqliteConnection($"Data Source={Path.Combine(state.Path, HashCache.DatabaseFileName)};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE files SET digests = zeroblob(length(digests)) WHERE path = $path";
            command.Parameters.AddWithValue("$path", FilePath);
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        Assert.Null(cache.Lookup(FilePath, Size, Ticks));
        Assert.Null(cache.Lookup("/share/short", Size, Ticks));
    }

    [Fact]
    public void A_row_of_the_wrong_types_is_a_miss_and_the_cache_stays_on()
    {
        using var state = new TempFolder();
        var (id, digests) = Hash(Size, seed: 12);
        using var cache = HashCache.Open(state.Path);
        cache.Store(FilePath, Size, Ticks, id, digests);

        using (var connection = new SqliteConnection($"Data Source={Path.Combine(state.Path, HashCache.DatabaseFileName)};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE files SET id = 'not a blob'";
            command.ExecuteNonQuery();
        }

        Assert.Null(cache.Lookup(FilePath, Size, Ticks));
        Assert.True(cache.IsAvailable);
        cache.Store(FilePath, Size, Ticks, id, digests);
        Assert.Equal(id, cache.Lookup(FilePath, Size, Ticks)?.Id);
    }

    [Fact]
    public void Rows_of_files_gone_from_a_shared_folder_are_removed_and_others_kept()
    {
        using var state = new TempFolder();
        var (id, digests) = Hash(10, seed: 10);
        using var cache = HashCache.Open(state.Path);
        foreach (var path in new[] { "/share/a", "/share/gone", "/share/sub/gone", "/share-other/b", "/elsewhere/c" })
        {
            cache.Store(path, 10, Ticks, id, digests);
        }

        var removed = cache.RemoveMissing("/share", new HashSet<string>(["/share/a"], StringComparer.Ordinal));

        Assert.Equal(2, removed);
        Assert.NotNull(cache.Lookup("/share/a", 10, Ticks));
        Assert.Null(cache.Lookup("/share/gone", 10, Ticks));
        Assert.Null(cache.Lookup("/share/sub/gone", 10, Ticks));
        Assert.NotNull(cache.Lookup("/share-other/b", 10, Ticks));
        Assert.NotNull(cache.Lookup("/elsewhere/c", 10, Ticks));
    }

    [Fact]
    public async Task Concurrent_stores_and_lookups_from_two_peers_all_land()
    {
        using var state = new TempFolder();
        var (id, digests) = Hash(Size, seed: 11);
        using var first = HashCache.Open(state.Path);
        using var second = HashCache.Open(state.Path);

        await Task.WhenAll(
            Task.Run(() => StoreMany(first, "/a/"), TestContext.Current.CancellationToken),
            Task.Run(() => StoreMany(second, "/b/"), TestContext.Current.CancellationToken));

        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(id, first.Lookup($"/b/{i}", Size, Ticks)?.Id);
            Assert.Equal(id, second.Lookup($"/a/{i}", Size, Ticks)?.Id);
        }

        void StoreMany(HashCache cache, string prefix)
        {
            for (var i = 0; i < 200; i++)
            {
                cache.Store(prefix + i, Size, Ticks, id, digests);
                Assert.NotNull(cache.Lookup(prefix + i, Size, Ticks));
            }
        }
    }

    /// <summary>The id and chunk digests of <paramref name="size"/> pseudo-random bytes, as ContentIdBuilder makes them.</summary>
    internal static (ContentId Id, byte[] Digests) Hash(long size, int seed)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        using var builder = new ContentIdBuilder(keepChunkDigests: true);
        builder.Append(data);
        var id = builder.Finish();
        return (id, builder.ChunkDigests);
    }

    private static string? Pragma(string folder, string name)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(folder, HashCache.DatabaseFileName)};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name}";
        return command.ExecuteScalar()?.ToString();
    }
}
