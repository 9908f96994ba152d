using System.Runtime.InteropServices;

namespace P2PShare.Directory.Search;

/// <summary>
/// Finds the matching entries of a <see cref="FileTable"/> in id order, all of them (ranking
/// needs every match, not the first few), a window of ids at a time.
/// </summary>
/// <remarks>
/// Each part of the query (a run of two or more letters and digits, see <see cref="QueryPlan"/>)
/// can only occur inside a word of a matching name, so the entries of the words that contain it
/// (<see cref="TokenDictionary.FindContaining"/>) are a superset of the matches. The part whose
/// words have the fewest entries leads: their lists are merged into the window's candidates; the
/// part with the next fewest narrows them when its lists are not much longer (reading a list is
/// a few nanoseconds an id, checking a name tens). What is left is checked against the exact
/// rule (<see cref="QueryPlan.RankIfMatches"/>, which ranks the match too), which also takes care of
/// everything words cannot tell (one-letter words, separators, word order, dead entries).
/// Without any part (an empty query, or only one-letter words and separators) the entries are
/// walked in order. The words are looked up again at every call, so that entries added between
/// two calls, with words new since, are found too.
/// </remarks>
internal sealed class FileMatcher
{
    /// <summary>What <see cref="FindMatches"/> returns when the search is complete.</summary>
    public const int Finished = -1;

    // The narrowing part is read when its words have at most this many times the leading part's entries.
    private const int NarrowFactor = 8;

    // Fewest ids a window spans when the leading lists are long (a window per slice otherwise).
    private const int MinWindow = 4096;

    // The lists are joined as bits when they hold at least one id in this many of the table's.
    private const int BitsFraction = 32;

    private readonly List<int> _leadWords = [];
    private readonly List<int> _narrowWords = [];
    private readonly List<int> _partWords = [];
    private readonly List<long> _partOrder = [];
    private PostingCursor[] _lead = new PostingCursor[16];
    private PostingCursor[] _narrow = new PostingCursor[16];
    private int[] _ids = new int[1024];
    private int[] _merged = new int[1024];
    private int[] _narrowIds = new int[1024];
    private ulong[] _leadBits = new ulong[1024];
    private ulong[] _narrowBits = new ulong[1024];
    private readonly List<int> _runEnds = [];

    /// <summary>
    /// Appends to <paramref name="matches"/> the ids, in increasing order, of live entries from
    /// id <paramref name="firstId"/> on that match <paramref name="plan"/> and do not belong to
    /// peer slot <paramref name="excludedPeer"/> (-1 excludes none), until the table's end or
    /// until <paramref name="workLeft"/> runs out. Every word looked up, every id read from a
    /// list costs one unit of work, every name checked <see cref="QueryPlan.CheckCost"/>. Returns the id to go on from when the
    /// work ran out first (a later call with that id as <paramref name="firstId"/> continues
    /// exactly where this one stopped), or <see cref="Finished"/> when the search is complete.
    /// </summary>
    public int FindMatches(FileTable table, QueryPlan plan, int excludedPeer, int firstId, List<int> matches, List<byte> ranks, ref int workLeft)
    {
        if (firstId >= table.Count)
        {
            return Finished;
        }

        if (plan.PartCount == 0)
        {
            return Scan(table, plan, excludedPeer, firstId, matches, ranks, ref workLeft);
        }

        if (!ChooseParts(table, plan, out var leadEntries, out var narrowEntries, ref workLeft))
        {
            return Finished;
        }

        var leadCount = OpenAll(table, _leadWords, ref _lead);
        var narrowCount = narrowEntries <= (long)NarrowFactor * leadEntries ? OpenAll(table, _narrowWords, ref _narrow) : 0;
        var end = table.Count;
        var lo = firstId;
        var entries = leadEntries + (narrowCount > 0 ? narrowEntries : 0);
        var checkCost = plan.CheckCost;

        // Common words (one id in a few dozen) are joined as bits: a word with bits costs a
        // machine word per 64 ids, one without its postings, whatever the window.
        var asBits = entries * BitsFraction > (long)end - firstId;
        var cost = asBits ? BitsCost(table, _leadWords, (long)end - firstId) + (narrowCount > 0 ? BitsCost(table, _narrowWords, (long)end - firstId) : 0) : entries;
        // At worst every leading entry is a candidate whose name is checked.
        cost += leadEntries * checkCost;
        while (lo < end)
        {
            // A window holds about what the rest of the work allows, so a long search stops near its budget.
            var span = (long)end - lo;
            var hi = cost <= Math.Max(workLeft, 1)
                ? end
                : (int)Math.Min(end, lo + Math.Max(MinWindow, span * Math.Max(workLeft, 1) / Math.Max(cost, 1)));
            if (asBits)
            {
                JoinAsBits(table, plan, excludedPeer, narrowCount, lo, hi, matches, ranks, ref workLeft);
            }
            else
            {
                var count = Collect(_lead.AsSpan(0, leadCount), lo, hi, ref _ids, ref workLeft);
                if (narrowCount > 0 && count > 0)
                {
                    var narrowed = Collect(_narrow.AsSpan(0, narrowCount), lo, hi, ref _narrowIds, ref workLeft);
                    count = Intersect(_ids.AsSpan(0, count), _narrowIds.AsSpan(0, narrowed));
                }

                workLeft -= count * checkCost;
                for (var i = 0; i < count; i++)
                {
                    Check(table, _ids[i], plan, excludedPeer, matches, ranks);
                }
            }

            lo = hi;
            if (workLeft <= 0 && lo < end)
            {
                return lo;
            }
        }

        return Finished;
    }

    /// <summary>What joining the lists of <paramref name="words"/> as bits over <paramref name="span"/> ids costs.</summary>
    private static long BitsCost(FileTable table, List<int> words, long span)
    {
        long cost = 0;
        foreach (var word in words)
        {
            var entries = table.EntriesByWord.CountOfList(word);
            cost += table.DenseWords.Has(word, entries) ? (span / 64) + 1 : entries;
        }

        return cost;
    }

    /// <summary>
    /// The window from <paramref name="lo"/> up to <paramref name="hi"/> as bits: the leading
    /// part's words ORed, ANDed with the narrowing part's, each id left checked in order.
    /// </summary>
    private void JoinAsBits(FileTable table, QueryPlan plan, int excludedPeer, int narrowCount, int lo, int hi, List<int> matches, List<byte> ranks, ref int workLeft)
    {
        var checkCost = plan.CheckCost;
        var firstId = lo & ~63;
        var length = (hi - firstId + 63) >> 6;
        if (_leadBits.Length < length)
        {
            _leadBits = new ulong[Math.Max(length, _leadBits.Length * 2)];
            _narrowBits = new ulong[_leadBits.Length];
        }

        var bits = _leadBits.AsSpan(0, length);
        FillBits(table, _leadWords, _lead, lo, hi, firstId, bits, ref workLeft);
        if (narrowCount > 0)
        {
            var narrow = _narrowBits.AsSpan(0, length);
            FillBits(table, _narrowWords, _narrow, lo, hi, firstId, narrow, ref workLeft);
            for (var i = 0; i < bits.Length; i++)
            {
                bits[i] &= narrow[i];
            }
        }

        // Only ids from lo up to hi: the words' bits cover the whole of the first and last machine words.
        bits[0] &= ulong.MaxValue << (lo - firstId);
        if (((hi - firstId) & 63) != 0)
        {
            bits[^1] &= (1UL << ((hi - firstId) & 63)) - 1;
        }

        for (var i = 0; i < bits.Length; i++)
        {
            var word = bits[i];
            while (word != 0)
            {
                var id = firstId + (i << 6) + System.Numerics.BitOperations.TrailingZeroCount(word);
                word &= word - 1;
                workLeft -= checkCost;
                Check(table, id, plan, excludedPeer, matches, ranks);
            }
        }
    }

    /// <summary>Sets in <paramref name="bits"/> (bit 0: id <paramref name="firstId"/>) the ids from <paramref name="lo"/> up to <paramref name="hi"/> of any of <paramref name="words"/>.</summary>
    private static void FillBits(FileTable table, List<int> words, PostingCursor[] cursors, int lo, int hi, int firstId, Span<ulong> bits, ref int workLeft)
    {
        bits.Clear();
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            if (table.DenseWords.Has(word, table.EntriesByWord.CountOfList(word)))
            {
                table.DenseWords.OrInto(word, bits, firstId);
                workLeft -= bits.Length;
                continue;
            }

            ref var cursor = ref cursors[i];
            if (!cursor.AdvanceTo(lo))
            {
                continue;
            }

            var read = 0;
            while (cursor.Current < hi)
            {
                var at = cursor.Current - firstId;
                bits[at >> 6] |= 1UL << (at & 63);
                read++;
                if (!cursor.MoveNext())
                {
                    break;
                }
            }

            workLeft -= read;
        }
    }

    /// <summary>Without a part to look up, every entry from <paramref name="firstId"/> on is checked in order.</summary>
    private static int Scan(FileTable table, QueryPlan plan, int excludedPeer, int firstId, List<int> matches, List<byte> ranks, ref int workLeft)
    {
        var checkCost = plan.CheckCost;
        for (var id = firstId; id < table.Count; id++)
        {
            if (workLeft <= 0)
            {
                return id;
            }

            workLeft -= checkCost;
            Check(table, id, plan, excludedPeer, matches, ranks);
        }

        return Finished;
    }

    /// <summary>
    /// Finds the words of the parts, the likely rarest first, and keeps those of the part with
    /// the fewest entries (to lead) and of the next (to narrow); false when some part is in no
    /// word, so nothing matches. A part that more words may contain than the leader has entries
    /// is not looked up at all: finding its words would cost more than checking the leader's
    /// names, which the exact rule does anyway.
    /// </summary>
    private bool ChooseParts(FileTable table, QueryPlan plan, out long leadEntries, out long narrowEntries, ref int workLeft)
    {
        _leadWords.Clear();
        _narrowWords.Clear();
        leadEntries = long.MaxValue;
        narrowEntries = long.MaxValue;
        var lists = table.EntriesByWord;
        var dictionary = table.Words;
        _partOrder.Clear();
        for (var part = 0; part < plan.PartCount; part++)
        {
            var most = dictionary.MostWordsContaining(plan.Part(part));
            if (most == 0)
            {
                return false;
            }

            _partOrder.Add(((long)most << 32) | (uint)part);
        }

        _partOrder.Sort();
        foreach (var ordered in _partOrder)
        {
            if ((ordered >> 32) > leadEntries && _leadWords.Count > 0)
            {
                break;
            }

            _partWords.Clear();
            dictionary.FindContaining(plan.Part((int)(ordered & 0xFFFFFFFF)), _partWords, ref workLeft);
            if (_partWords.Count == 0)
            {
                return false;
            }

            long entries = 0;
            foreach (var word in _partWords)
            {
                entries += lists.CountOfList(word);
            }

            if (entries < leadEntries)
            {
                _narrowWords.Clear();
                _narrowWords.AddRange(_leadWords);
                narrowEntries = leadEntries;
                _leadWords.Clear();
                _leadWords.AddRange(_partWords);
                leadEntries = entries;
            }
            else if (entries < narrowEntries)
            {
                _narrowWords.Clear();
                _narrowWords.AddRange(_partWords);
                narrowEntries = entries;
            }
        }

        return true;
    }

    private static int OpenAll(FileTable table, List<int> words, ref PostingCursor[] cursors)
    {
        if (cursors.Length < words.Count)
        {
            cursors = new PostingCursor[Math.Max(words.Count, cursors.Length * 2)];
        }

        var lists = table.EntriesByWord;
        for (var i = 0; i < words.Count; i++)
        {
            cursors[i] = lists.OpenList(words[i]);
        }

        return words.Count;
    }

    /// <summary>
    /// The ids from <paramref name="lo"/> up to <paramref name="hi"/> that any of
    /// <paramref name="cursors"/> has, each once, in increasing order, into <paramref name="ids"/>;
    /// returns how many. Each list is sorted, so the lists are merged two by two.
    /// </summary>
    private int Collect(Span<PostingCursor> cursors, int lo, int hi, ref int[] ids, ref int workLeft)
    {
        var count = 0;
        _runEnds.Clear();
        foreach (ref var cursor in cursors)
        {
            if (!cursor.AdvanceTo(lo))
            {
                continue;
            }

            var before = count;
            while (cursor.Current < hi)
            {
                if (count == ids.Length)
                {
                    Array.Resize(ref ids, ids.Length * 2);
                }

                ids[count++] = cursor.Current;
                if (!cursor.MoveNext())
                {
                    break;
                }
            }

            if (count > before)
            {
                _runEnds.Add(count);
            }
        }

        workLeft -= count;
        return _runEnds.Count <= 1 ? count : MergeRuns(ref ids, count);
    }

    /// <summary>Merges the sorted runs of <paramref name="ids"/> (ending at <see cref="_runEnds"/>) into one, repeats dropped.</summary>
    private int MergeRuns(ref int[] ids, int count)
    {
        if (_merged.Length < ids.Length)
        {
            _merged = new int[ids.Length];
        }

        var source = ids;
        var target = _merged;
        var ends = CollectionsMarshal.AsSpan(_runEnds);
        var runs = ends.Length;
        while (runs > 1)
        {
            var written = 0;
            var start = 0;
            var kept = 0;
            for (var run = 0; run < runs; run += 2)
            {
                var middle = ends[run];
                var stop = run + 1 < runs ? ends[run + 1] : middle;
                written = Merge(source.AsSpan(start, middle - start), source.AsSpan(middle, stop - middle), target, written);
                ends[kept++] = written;
                start = stop;
            }

            runs = kept;
            (source, target) = (target, source);
        }

        count = ends[0];
        if (!ReferenceEquals(source, ids))
        {
            // The result is in the other buffer: keep it, and give the old one to the next merge.
            _merged = ids;
            ids = source;
        }

        return count;
    }

    private static int Merge(ReadOnlySpan<int> a, ReadOnlySpan<int> b, int[] target, int written)
    {
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            var x = a[i];
            var y = b[j];
            if (x < y)
            {
                target[written++] = x;
                i++;
            }
            else if (y < x)
            {
                target[written++] = y;
                j++;
            }
            else
            {
                target[written++] = x;
                i++;
                j++;
            }
        }

        a[i..].CopyTo(target.AsSpan(written));
        written += a.Length - i;
        b[j..].CopyTo(target.AsSpan(written));
        return written + b.Length - j;
    }

    /// <summary>Keeps the ids of <paramref name="ids"/> that <paramref name="others"/> also has (both increasing), at the front; returns how many.</summary>
    private static int Intersect(Span<int> ids, ReadOnlySpan<int> others)
    {
        int kept = 0, j = 0;
        for (var i = 0; i < ids.Length && j < others.Length; i++)
        {
            var id = ids[i];
            while (j < others.Length && others[j] < id)
            {
                j++;
            }

            if (j < others.Length && others[j] == id)
            {
                ids[kept++] = id;
            }
        }

        return kept;
    }

    /// <summary>Adds entry <paramref name="id"/> and its rank when it is alive, not the excluded peer's, and matches.</summary>
    private static void Check(FileTable table, int id, QueryPlan plan, int excludedPeer, List<int> matches, List<byte> ranks)
    {
        ref readonly var record = ref table[id];
        if (!record.IsAlive || record.Peer == excludedPeer)
        {
            return;
        }

        var rank = plan.RankIfMatches(table.Name(id), record.IsAscii);
        if (rank != QueryPlan.NoMatch)
        {
            matches.Add(id);
            ranks.Add((byte)rank);
        }
    }
}
