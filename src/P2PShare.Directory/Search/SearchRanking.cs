using System.Runtime.InteropServices;

namespace P2PShare.Directory.Search;

/// <summary>
/// Puts a search's matches in the order of PROTOCOL.md section 8.2 and keeps the best: names
/// where every query word is a whole word first, then those where every word at least begins a
/// word, then the rest (<see cref="QueryPlan.RankIfMatches"/>); within each, content held by more
/// peers first; then registration order (entry id). Each match becomes one 64-bit key in that
/// order, so ranking is a sort of numbers, and only of the best ones when the answer is capped.
/// Reused by one search at a time (it lives in the <see cref="SearchScratch"/>).
/// </summary>
internal sealed class SearchRanking
{
    private const int IdBits = 31;
    private const int SourceBits = 24;
    private const long MaxSources = (1L << SourceBits) - 1;

    // The worst class a match can have (something inside a word, see QueryPlan.RankIfMatches).
    private const int Worst = 2;

    private long[] _keys = new long[1024];

    /// <summary>
    /// Reorders <paramref name="matches"/> (live entry ids, with their <paramref name="ranks"/>
    /// as found) by rank and keeps the first <paramref name="maxFiles"/>.
    /// </summary>
    public void Rank(FileTable table, List<int> matches, List<byte> ranks, int maxFiles)
    {
        DropWorseClasses(matches, ranks, maxFiles);
        var count = matches.Count;
        var keys = KeysOf(table, matches, ranks, out var inOrder);
        var kept = Math.Min(count, maxFiles);
        if (!inOrder)
        {
            if (kept < count)
            {
                SelectSmallest(keys, kept);
            }

            keys[..kept].Sort();
        }

        for (var i = 0; i < kept; i++)
        {
            matches[i] = IdOf(keys[i]);
        }

        matches.RemoveRange(kept, count - kept);
        ranks.Clear();
    }

    /// <summary>
    /// Keeps the best <paramref name="keep"/> of <paramref name="matches"/> and their
    /// <paramref name="ranks"/>, in no order: what a search holds of a broad query, so that it
    /// needs memory for a bounded number of matches, not for all it finds. Sources are counted
    /// again when the search is ranked at its end.
    /// </summary>
    public void Prune(FileTable table, List<int> matches, List<byte> ranks, int keep)
    {
        DropWorseClasses(matches, ranks, keep);
        var count = matches.Count;
        if (count <= keep)
        {
            return;
        }

        var keys = KeysOf(table, matches, ranks, out _);
        SelectSmallest(keys, keep);
        for (var i = 0; i < keep; i++)
        {
            matches[i] = IdOf(keys[i]);
            ranks[i] = (byte)(keys[i] >> (IdBits + SourceBits));
        }

        matches.RemoveRange(keep, count - keep);
        ranks.RemoveRange(keep, count - keep);
    }

    /// <summary>
    /// Drops the matches of the classes (whole word, start, inside) that cannot be among the
    /// best <paramref name="keep"/> because the better classes alone have that many, keeping
    /// the order of the rest: their sources need not be counted.
    /// </summary>
    private static void DropWorseClasses(List<int> matches, List<byte> ranks, int keep)
    {
        var classes = CollectionsMarshal.AsSpan(ranks);
        Span<int> perClass = stackalloc int[256];
        foreach (var rank in classes)
        {
            perClass[rank]++;
        }

        var cut = 0;
        var better = perClass[0];
        while (better < keep && cut < Worst)
        {
            cut++;
            better += perClass[cut];
        }

        if (cut >= Worst)
        {
            return;
        }

        var ids = CollectionsMarshal.AsSpan(matches);
        var kept = 0;
        for (var i = 0; i < ids.Length; i++)
        {
            if (classes[i] <= cut)
            {
                ids[kept] = ids[i];
                classes[kept] = classes[i];
                kept++;
            }
        }

        matches.RemoveRange(kept, ids.Length - kept);
        ranks.RemoveRange(kept, classes.Length - kept);
    }

    private static int IdOf(long key) => (int)(key & ((1L << IdBits) - 1));

    /// <summary>The key of each match, in the order of <paramref name="matches"/>; whether they are increasing.</summary>
    private Span<long> KeysOf(FileTable table, List<int> matches, List<byte> ranks, out bool inOrder)
    {
        var count = matches.Count;
        if (_keys.Length < count)
        {
            _keys = new long[Math.Max(count, _keys.Length * 2)];
        }

        var keys = _keys.AsSpan(0, count);
        inOrder = true;
        var previous = long.MinValue;
        for (var i = 0; i < count; i++)
        {
            var id = matches[i];
            long rank = ranks[i];
            var sources = Math.Min(table.SourcesOf(id), MaxSources);
            var key = (rank << (IdBits + SourceBits)) | ((MaxSources - sources) << IdBits) | (long)id;
            keys[i] = key;
            inOrder &= key > previous;
            previous = key;
        }

        return keys;
    }

    /// <summary>
    /// Moves the <paramref name="k"/> smallest keys (all distinct) to the front, in no order:
    /// quickselect on random pivots, so no order of entries can make it quadratic on purpose.
    /// </summary>
    private static void SelectSmallest(Span<long> keys, int k)
    {
        var lo = 0;
        var hi = keys.Length - 1;
        var target = k - 1;
        while (hi > lo)
        {
            var pivot = keys[Random.Shared.Next(lo, hi + 1)];
            var i = lo;
            var j = hi;
            while (i <= j)
            {
                while (keys[i] < pivot)
                {
                    i++;
                }

                while (keys[j] > pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    (keys[i], keys[j]) = (keys[j], keys[i]);
                    i++;
                    j--;
                }
            }

            if (target <= j)
            {
                hi = j;
            }
            else if (target >= i)
            {
                lo = i;
            }
            else
            {
                return;
            }
        }
    }
}
