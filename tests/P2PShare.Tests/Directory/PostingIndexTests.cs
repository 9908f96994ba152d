using P2PShare.Directory.Search;

namespace P2PShare.Tests.Directory;

/// <summary>The index's building blocks against plain collections: posting lists and the trigram table.</summary>
public sealed class PostingIndexTests
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

    [Theory]
    [InlineData(1, 3, false)]
    [InlineData(2, 3, true)]
    [InlineData(3, 40, false)]
    [InlineData(4, 40, true)]
    [InlineData(5, 2000, false)]
    [InlineData(6, 2000, true)]
    public void Posting_cursor_reads_and_narrows_windows_as_sets_do(int seed, int meanGap, bool byScan)
    {
        var random = new Random(seed);
        var list = default(PostingList);
        var inList = new HashSet<int>();
        var id = 0;
        for (var i = 0; i < 3000; i++)
        {
            id += 1 + random.Next(2 * meanGap);
            list.Add(id);
            inList.Add(id);
        }

        // ReadInto in pieces of every size reads the whole list in order.
        var all = list.Open();
        var read = new List<int>();
        var piece = new int[100];
        int got;
        while ((got = all.ReadInto(piece.AsSpan(0, random.Next(1, piece.Length)))) > 0)
        {
            read.AddRange(piece.AsSpan(0, got).ToArray());
        }

        Assert.Equal(inList.Order(), read);

        // Windows of candidates, some in the list, narrowed one after the other.
        var cursor = list.Open();
        var bits = new ulong[((id + 1) >> 6) + 2];
        var candidate = 0;
        while (candidate <= id)
        {
            // Another list of the search may have run out already: that must not stop this one.
            var othersExhausted = random.Next(4) == 0;
            var window = new List<int>();
            var size = random.Next(1, 300);
            while (window.Count < size && candidate <= id + 100)
            {
                candidate += 1 + random.Next(meanGap);
                window.Add(candidate);
            }

            var ids = window.ToArray();
            var exhaustedHere = othersExhausted;
            var kept = byScan ? cursor.RetainByScan(ids, bits, ref exhaustedHere) : cursor.Retain(ids, ref exhaustedHere);
            Assert.True(exhaustedHere || !othersExhausted); // a flag already set stays set
            Assert.Equal(window.Where(inList.Contains), ids[..kept]);
            Assert.All(bits, word => Assert.Equal(0UL, word));
        }

        // Past the last id, the list has run out.
        var exhausted = false;
        int[] past = [id + 1, id + 2];
        Assert.Equal(0, byScan ? cursor.RetainByScan(past, bits, ref exhausted) : cursor.Retain(past, ref exhausted));
        Assert.True(exhausted);
    }

    [Fact]
    public void Key_table_keeps_every_key_apart_as_it_grows()
    {
        var random = new Random(7);
        var index = new PostingIndex();
        var expected = new Dictionary<ulong, List<int>>();
        var numbers = new Dictionary<ulong, int>();
        for (var id = 0; id < 50_000; id++)
        {
            // Trigram keys of all three characters anywhere in UTF-16, including 0, many of them
            // new, and word keys up to 2^63 - 1.
            var key = id % 3 == 0
                ? (ulong)random.NextInt64(long.MaxValue - 1000, long.MaxValue) + (ulong)random.Next(0, 2)
                : Trigrams.Key((char)random.Next(char.MaxValue + 1), (char)random.Next(4), (char)random.Next(3));
            var list = index.Add(key, id);
            Assert.Equal(numbers.TryGetValue(key, out var number) ? number : numbers[key] = numbers.Count, list);
            if (!expected.TryGetValue(key, out var ids))
            {
                expected[key] = ids = [];
            }

            ids.Add(id);
        }

        Assert.Equal(expected.Count, index.KeyCount);
        foreach (var (key, ids) in expected)
        {
            Assert.Equal(ids.Count, index.CountOf(key));
            Assert.Equal(numbers[key], index.ListOf(key));
            Assert.Equal(ids.Count, index.CountOfList(numbers[key]));
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
