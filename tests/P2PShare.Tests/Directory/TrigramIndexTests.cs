using P2PShare.Directory.Search;

namespace P2PShare.Tests.Directory;

/// <summary>The index's building blocks against plain collections: posting lists and the trigram table.</summary>
public sealed class TrigramIndexTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 63)]
    [InlineData(4, 64)]
    [InlineData(5, 65)]
    [InlineData(6, 5000)]
    public void Posting_cursor_finds_what_a_binary_search_finds(int seed, int count)
    {
        var random = new Random(seed);
        var ids = new SortedSet<int>();
        while (ids.Count < count)
        {
            // Gaps of every size, so deltas take one to five bytes and blocks are skipped.
            ids.Add(random.Next(4) switch { 0 => random.Next(100_000), 1 => random.Next(int.MaxValue), _ => random.Next(10_000) });
        }

        var sorted = ids.ToArray();
        var list = default(PostingList);
        foreach (var id in sorted)
        {
            list.Add(id);
            list.Add(id); // a repeated id (a name with the same trigram twice) counts once
        }

        Assert.Equal(count, list.Count);
        var all = list.Open();
        var read = new List<int>();
        while (all.MoveNext())
        {
            read.Add(all.Current);
        }

        Assert.Equal(sorted, read);
        Assert.False(all.MoveNext());

        // Forward-only probes with random strides, compared with a binary search.
        var cursor = list.Open();
        var target = -1;
        while (true)
        {
            target += random.Next(3) == 0 ? random.Next(1, 3) : random.Next(1, int.MaxValue / 64);
            if (target < 0)
            {
                break;
            }

            var index = Array.BinarySearch(sorted, target);
            index = index < 0 ? ~index : index;
            var found = cursor.AdvanceTo(target);
            Assert.Equal(index < sorted.Length, found);
            if (!found)
            {
                break;
            }

            Assert.Equal(sorted[index], cursor.Current);
            // Asking again for an id at or before the current one stays put.
            Assert.True(cursor.AdvanceTo(target));
            Assert.Equal(sorted[index], cursor.Current);
        }
    }

    [Fact]
    public void Trigram_table_keeps_every_key_apart_as_it_grows()
    {
        var random = new Random(7);
        var index = new TrigramIndex();
        var expected = new Dictionary<ulong, List<int>>();
        for (var id = 0; id < 50_000; id++)
        {
            // Keys of all three characters anywhere in UTF-16, including 0, many of them new.
            var key = Trigrams.Key((char)random.Next(char.MaxValue + 1), (char)random.Next(4), (char)random.Next(3));
            index.Add(key, id);
            if (!expected.TryGetValue(key, out var ids))
            {
                expected[key] = ids = [];
            }

            ids.Add(id);
        }

        Assert.Equal(expected.Count, index.TrigramCount);
        foreach (var (key, ids) in expected)
        {
            Assert.Equal(ids.Count, index.CountOf(key));
            var cursor = index.Open(key);
            foreach (var id in ids)
            {
                Assert.True(cursor.MoveNext());
                Assert.Equal(id, cursor.Current);
            }

            Assert.False(cursor.MoveNext());
        }

        Assert.Equal(0, index.CountOf(Trigrams.Key('z', 'z', 'z')));
        Assert.False(index.Open(Trigrams.Key('z', 'z', 'z')).MoveNext());
    }
}
