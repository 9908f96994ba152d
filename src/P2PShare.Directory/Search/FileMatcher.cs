namespace P2PShare.Directory.Search;

/// <summary>
/// Finds the first matching entries of a <see cref="FileTable"/> in id order.
/// </summary>
/// <remarks>
/// Each query word of three or more characters contributes the posting list of its rarest
/// trigram (its other trigrams occur in nearly the same names, so they cost more than they
/// filter out: measured, adding each word's second rarest made searches slower). The shortest
/// of those lists is read a window at a time; each window is narrowed by the other lists in
/// turn, shortest first: a list with about as many postings in the window's range as the window
/// has ids is read through and looked up in a bit set of the window (a sorted merge of two such
/// lists mispredicts a branch at nearly every id, which made it most of the cost of a search),
/// a longer one skips whole blocks to each id. What is left is checked against the exact rule
/// (<see cref="QueryPlan.Matches(ReadOnlySpan{byte}, bool)"/>), which also takes care of
/// everything trigrams cannot tell (word order, short words, dead entries). Without any trigram
/// (an empty query, or only words shorter than three characters) the entries are walked in
/// order. Either way the search stops at the limit, so a common query costs about what a rare
/// one does.
/// </remarks>
internal sealed class FileMatcher
{
    /// <summary>What <see cref="FindMatches"/> returns when the search is complete.</summary>
    public const int Finished = -1;

    private const int WindowSize = 2048;

    // Narrowing reads a list through rather than jumping when the window has at least this many
    // ids and the list at most ScanFactor times as many postings in the window's range.
    private const int ScanAtLeast = 32;
    private const int ScanFactor = 8;

    private readonly int[] _window = new int[WindowSize];
    private ulong[] _bits = [];
    private readonly List<ulong> _chosen = [];
    private PostingCursor[] _cursors = new PostingCursor[8];

    /// <summary>
    /// Appends to <paramref name="matches"/> the ids, in increasing order, of live entries from
    /// id <paramref name="firstId"/> on that match <paramref name="plan"/> and do not belong to
    /// peer slot <paramref name="excludedPeer"/> (-1 excludes none), until
    /// <paramref name="matches"/> holds <paramref name="maxFiles"/> ids or
    /// <paramref name="workLeft"/> runs out. Every id read from the leading posting list, every
    /// id narrowed by another list and every name checked costs one unit of work. Returns the id
    /// to go on from when the work ran out first (a later call with that id as
    /// <paramref name="firstId"/> continues exactly where this one stopped), or
    /// <see cref="Finished"/> when the search is complete.
    /// </summary>
    public int FindMatches(FileTable table, QueryPlan plan, int excludedPeer, int firstId, int maxFiles, List<int> matches, ref int workLeft)
    {
        if (matches.Count >= maxFiles || firstId >= table.Count || !ChooseLists(table.Index, plan))
        {
            return Finished;
        }

        if (_chosen.Count == 0)
        {
            return Scan(table, plan, excludedPeer, firstId, maxFiles, matches, ref workLeft);
        }

        var count = _chosen.Count;
        if (_cursors.Length < count)
        {
            _cursors = new PostingCursor[Math.Max(count, _cursors.Length * 2)];
        }

        var cursors = _cursors.AsSpan(0, count);
        for (var i = 0; i < count; i++)
        {
            cursors[i] = table.Index.Open(_chosen[i]);
        }

        // Shortest list first: it leads, the others narrow down.
        cursors.Sort(static (a, b) => a.Count.CompareTo(b.Count));
        return Intersect(table, plan, excludedPeer, firstId, maxFiles, matches, cursors, ref workLeft);
    }

    /// <summary>Without a trigram to go by, every entry from <paramref name="firstId"/> on is checked in order.</summary>
    private static int Scan(FileTable table, QueryPlan plan, int excludedPeer, int firstId, int maxFiles, List<int> matches, ref int workLeft)
    {
        for (var id = firstId; id < table.Count; id++)
        {
            if (workLeft <= 0)
            {
                return id;
            }

            workLeft--;
            if (IsMatch(table, id, plan, excludedPeer))
            {
                matches.Add(id);
                if (matches.Count == maxFiles)
                {
                    return Finished;
                }
            }
        }

        return Finished;
    }

    /// <summary>
    /// Picks the rarest trigram of every word that has trigrams into <see cref="_chosen"/>;
    /// false when some trigram occurs in no name at all, so nothing can match.
    /// </summary>
    private bool ChooseLists(TrigramIndex index, QueryPlan plan)
    {
        _chosen.Clear();
        for (var word = 0; word < plan.WordCount; word++)
        {
            var rarest = 0UL;
            var rarestCount = int.MaxValue;
            foreach (var trigram in plan.TrigramsOf(word))
            {
                var count = index.CountOf(trigram);
                if (count == 0)
                {
                    return false;
                }

                if (count < rarestCount)
                {
                    (rarest, rarestCount) = (trigram, count);
                }
            }

            if (rarestCount != int.MaxValue && !_chosen.Contains(rarest))
            {
                _chosen.Add(rarest);
            }
        }

        return true;
    }

    private int Intersect(FileTable table, QueryPlan plan, int excludedPeer, int firstId, int maxFiles, List<int> matches, Span<PostingCursor> cursors, ref int workLeft)
    {
        ref var lead = ref cursors[0];
        if (!lead.AdvanceTo(firstId))
        {
            return Finished;
        }

        var window = _window.AsSpan();
        window[0] = lead.Current;
        var length = 1;
        while (true)
        {
            // At least one window per call, so that every call makes progress.
            length += lead.ReadInto(window[length..]);
            if (length == 0)
            {
                return Finished;
            }

            var exhausted = length < window.Length;
            var next = exhausted ? Finished : window[length - 1] + 1;
            workLeft -= length * cursors.Length;
            for (var i = 1; i < cursors.Length && length > 0; i++)
            {
                length = Narrow(ref cursors[i], window[..length], table.Count, ref exhausted);
            }

            workLeft -= length;
            for (var i = 0; i < length; i++)
            {
                if (IsMatch(table, window[i], plan, excludedPeer))
                {
                    matches.Add(window[i]);
                    if (matches.Count == maxFiles)
                    {
                        return Finished;
                    }
                }
            }

            if (exhausted)
            {
                return Finished;
            }

            length = 0;
            if (workLeft <= 0)
            {
                // Stopped between windows: the next one begins after the last id read.
                return next;
            }
        }
    }

    /// <summary>
    /// Keeps the ids of <paramref name="ids"/> (increasing) that <paramref name="cursor"/> also
    /// has, moved to the front; returns how many. Sets <paramref name="exhausted"/> when the
    /// cursor ran out, since then no later id can be in all lists either. A list with about as
    /// many postings in the ids' range as there are ids is read through (see
    /// <see cref="PostingCursor.RetainByScan"/>); a longer one is jumped through.
    /// </summary>
    private int Narrow(ref PostingCursor cursor, Span<int> ids, int idCount, ref bool exhausted)
    {
        var span = (long)ids[^1] - ids[0] + 1;
        var postingsInRange = cursor.Count * span / Math.Max(idCount, 1);
        if (ids.Length < ScanAtLeast || postingsInRange > ScanFactor * ids.Length)
        {
            return cursor.Retain(ids, ref exhausted);
        }

        var words = (int)((span + 63) >> 6);
        if (_bits.Length < words)
        {
            _bits = new ulong[Math.Max(words, _bits.Length * 2)];
        }

        return cursor.RetainByScan(ids, _bits, ref exhausted);
    }

    private static bool IsMatch(FileTable table, int id, QueryPlan plan, int excludedPeer)
    {
        ref readonly var record = ref table[id];
        if (!record.IsAlive || record.Peer == excludedPeer)
        {
            return false;
        }

        return plan.Matches(table.Name(id), record.IsAscii);
    }
}
