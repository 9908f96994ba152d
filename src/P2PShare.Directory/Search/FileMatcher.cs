using System.Runtime.InteropServices;

namespace P2PShare.Directory.Search;

/// <summary>
/// Finds the matching entries of a <see cref="FileTable"/> in id order, all of them (ranking
/// needs every match, not the first few; <see cref="FindMatches"/> tells the one exception), a
/// window of ids at a time.
/// </summary>
/// <remarks>
/// Each part of the query (a run of two or more letters and digits, see <see cref="QueryPlan"/>)
/// can only occur inside a word of a matching name, so the entries of the words that contain it
/// (<see cref="TokenDictionary.FindContaining"/>) are a superset of the matches. The part whose
/// words have the fewest entries leads. When it is rare, its lists are merged into the window's
/// candidates and every other part looked up (with few words) keeps those its words hold: a
/// bit test per candidate for a common word, a forward walk of the list otherwise
/// (<see cref="FindByProbing"/>). When it is common, the lists are joined as bits, the leading
/// part's ORed and ANDed with the next part's (<see cref="JoinAsBits"/>). Either way, when
/// every query word is a part and every part was joined, a candidate's rank comes from where
/// each part lies in the words that hold it (the whole word, its start, or inside), and no name
/// is read. Otherwise what is left is checked against the exact rule
/// (<see cref="QueryPlan.RankIfMatches"/>, which ranks the match too), which also takes care of
/// everything words cannot tell (one-letter words, separators, word order, dead entries).
/// Without any part (an empty query, or only one-letter words and separators) the entries are
/// walked in order. The parts' words found by a search's first call serve its later calls
/// while the dictionary has no new word; otherwise they are looked up again, so that entries
/// added between two calls, with words new since, are found too.
/// </remarks>
internal sealed class FileMatcher
{
    /// <summary>What <see cref="FindMatches"/> returns when the search is complete.</summary>
    public const int Finished = -1;

    // The narrowing part is read when its words have at most this many times the leading part's entries.
    private const int NarrowFactor = 8;

    // Fewest ids a window spans when the leading lists are long (a window per slice otherwise).
    private const int MinWindow = 4096;

    // The lists are joined as bits when the leading part's hold at least one id in this many of
    // the table's; the candidates of a rarer one are probed.
    private const int BitsFraction = 32;

    // A part with more words than this is left to the name check rather than probed.
    private const int MaxProbeWords = 16;

    // Ids a candidate can have to be kept with its place in its two low bits.
    private const int MaxPlacedId = int.MaxValue >> 2;

    private const byte Absent = 3;

    private readonly List<int> _leadWords = [];
    private readonly List<int> _narrowWords = [];
    private readonly List<int> _partWords = [];
    private readonly List<long> _partOrder = [];
    private PostingCursor[] _lead = new PostingCursor[16];
    private PostingCursor[] _narrow = new PostingCursor[16];
    private int[] _ids = new int[1024];
    private int[] _merged = new int[1024];
    private ulong[] _leadBits = new ulong[1024];
    private ulong[] _narrowBits = new ulong[1024];
    // Per part joined as bits, when the index ranks: the ids where it is a whole word, and
    // where it is a whole word or begins one (see RanksFromIndex).
    private ulong[] _leadWhole = new ulong[1024];
    private ulong[] _leadStart = new ulong[1024];
    private ulong[] _narrowWhole = new ulong[1024];
    private ulong[] _narrowStart = new ulong[1024];
    private readonly List<byte> _leadPlaces = [];
    private readonly List<byte> _narrowPlaces = [];
    private int _leadPart;
    private int _narrowPart;
    // The parts looked up besides the leading and the narrowing one, probed or, when the index
    // ranks, joined as bits (their words, places and cursors; lists reused from search to search).
    private readonly List<int> _extraParts = [];
    private readonly List<List<int>> _extraWords = [];
    private readonly List<List<byte>> _extraPlaces = [];
    private readonly List<PostingCursor[]> _extraCursors = [];
    private bool _everyPartLooked;
    private readonly List<int> _runEnds = [];

    // What ChooseParts found for the search under way, in which table and with how many words
    // in its dictionary then (null: nothing kept, see NewSearch).
    private FileTable? _choiceTable;
    private int _choiceWords;
    private long _choiceLeadEntries;
    private long _choiceNarrowEntries;
    private int _choiceExtras;

    // Probing: the extra parts probed, in order; per candidate, its place so far (the worst
    // part's) and the best place of the part being probed (Absent: none of its words holds it).
    private readonly List<int> _probed = [];
    private byte[] _places = new byte[1024];
    private byte[] _best = new byte[1024];

    /// <summary>
    /// Appends to <paramref name="matches"/> the ids, in increasing order, of live entries from
    /// id <paramref name="firstId"/> on that match <paramref name="plan"/> and do not belong to
    /// peer slot <paramref name="excludedPeer"/> (-1 excludes none), until the table's end or
    /// until <paramref name="workLeft"/> runs out. Every word looked up, every id read from a
    /// list and every candidate tested against a word costs one unit of work, every name
    /// checked <see cref="QueryPlan.CheckCost"/>. Returns
    /// the id to go on from when the work ran out first (a later call with that id as
    /// <paramref name="firstId"/> continues exactly where this one stopped), or
    /// <see cref="Finished"/> when the search is complete.
    /// </summary>
    /// <remarks>
    /// A query of one word whose whole word alone has at least <paramref name="enoughWhole"/>
    /// entries reads that word's list only (<see cref="SkippedWords"/> is set then): its entries
    /// rank above the longer words that contain the query word, and the caller chose the number
    /// so that they fill the answer (dead entries and the asker's own counted out).
    /// </remarks>
    public int FindMatches(FileTable table, QueryPlan plan, int excludedPeer, int firstId, int enoughWhole, List<int> matches, List<byte> ranks, ref int workLeft)
    {
        if (firstId >= table.Count)
        {
            return Finished;
        }

        if (plan.PartCount == 0)
        {
            return Scan(table, plan, excludedPeer, firstId, matches, ranks, ref workLeft);
        }

        long leadEntries, narrowEntries;
        if (ReferenceEquals(table, _choiceTable) && table.Words.Count == _choiceWords)
        {
            // A later slice of the same search, and no word new since: the parts' words are
            // those found before (a broad part has thousands, found again at every slice else).
            (leadEntries, narrowEntries) = (_choiceLeadEntries, _choiceNarrowEntries);
            _extraParts.RemoveRange(_choiceExtras, _extraParts.Count - _choiceExtras);
        }
        else
        {
            _choiceTable = null;
            if (!ChooseParts(table, plan, out leadEntries, out narrowEntries, ref workLeft))
            {
                return Finished;
            }

            (_choiceTable, _choiceWords, _choiceLeadEntries, _choiceNarrowEntries, _choiceExtras) = (table, table.Words.Count, leadEntries, narrowEntries, _extraParts.Count);
        }

        if (plan.PartCount == 1 && plan.WordsAreParts && KeepWholeWordOnly(table, plan.Part(0), enoughWhole))
        {
            leadEntries = table.EntriesByWord.CountOfList(_leadWords[0]);
        }

        var leadCount = OpenAll(table, _leadWords, ref _lead);
        var end = table.Count;
        if (leadEntries * BitsFraction <= (long)end - firstId)
        {
            return FindByProbing(table, plan, excludedPeer, firstId, leadEntries, matches, ranks, ref workLeft);
        }

        var narrowCount = narrowEntries <= (long)NarrowFactor * leadEntries ? OpenAll(table, _narrowWords, ref _narrow) : 0;
        var lo = firstId;

        // Common words (one id in a few dozen) are joined as bits: a word with bits costs a
        // machine word per 64 ids, one without its postings, whatever the window.
        var fromIndex = RanksFromIndex(table, plan, narrowCount);
        var checkCost = fromIndex ? 1 : plan.CheckCost;
        var cost = BitsCost(table, _leadWords, (long)end - firstId) + (narrowCount > 0 ? BitsCost(table, _narrowWords, (long)end - firstId) : 0);
        for (var extra = 0; fromIndex && extra < _extraParts.Count; extra++)
        {
            cost += BitsCost(table, _extraWords[extra], (long)end - firstId);
        }

        // At worst every leading entry is a candidate whose name is checked (or, ranked by the index, taken).
        cost += leadEntries * checkCost;
        while (lo < end)
        {
            var hi = WindowEnd(lo, end, cost, workLeft);
            JoinAsBits(table, plan, excludedPeer, narrowCount, fromIndex, lo, hi, matches, ranks, ref workLeft);
            lo = hi;
            if (workLeft <= 0 && lo < end)
            {
                return lo;
            }
        }

        return Finished;
    }

    /// <summary>
    /// Where a window from <paramref name="lo"/> ends: it holds about what the rest of the work
    /// allows (the whole search being estimated at <paramref name="cost"/>), so that a long
    /// search stops near its budget.
    /// </summary>
    private static int WindowEnd(int lo, int end, long cost, int workLeft)
    {
        var span = (long)end - lo;
        return cost <= Math.Max(workLeft, 1)
            ? end
            : (int)Math.Min(end, lo + Math.Max(MinWindow, span * Math.Max(workLeft, 1) / Math.Max(cost, 1)));
    }

    /// <summary>
    /// <see cref="FindMatches"/> when the leading part is rare: its lists are merged into the
    /// window's candidates, and each other part looked up, when it has few words, keeps those
    /// of its words hold (a bit test per candidate for a common word, a forward walk of the list
    /// otherwise). Reading every part's bits over the whole table would cost a machine word per
    /// 64 ids however few the candidates. When every query word is a part and every part is
    /// probed, each candidate's rank comes from where the parts lie in its words, and no name is
    /// read; otherwise the names of the candidates left are checked.
    /// </summary>
    private int FindByProbing(FileTable table, QueryPlan plan, int excludedPeer, int firstId, long leadEntries, List<int> matches, List<byte> ranks, ref int workLeft)
    {
        var everyPartProbed = _everyPartLooked;
        long probedWords = 0;
        _probed.Clear();
        if (_narrowWords.Count > 0)
        {
            KeepExtra(_narrowPart, _narrowWords);
        }

        for (var extra = 0; extra < _extraParts.Count; extra++)
        {
            var words = _extraWords[extra];
            if (words.Count > MaxProbeWords)
            {
                everyPartProbed = false;
                continue;
            }

            var cursors = _extraCursors[extra];
            OpenAll(table, words, ref cursors);
            _extraCursors[extra] = cursors;
            _probed.Add(extra);
            probedWords += words.Count;
        }

        // The narrowing part, kept last among the extras, is the one with the fewest entries after the lead: probe it first.
        _probed.Sort(static (a, b) => b.CompareTo(a));
        var fromIndex = plan.WordsAreParts && everyPartProbed && table.Count <= MaxPlacedId;
        if (fromIndex)
        {
            Place(table.Words, plan.Part(_leadPart), _leadWords, _leadPlaces);
            foreach (var extra in _probed)
            {
                Place(table.Words, plan.Part(_extraParts[extra]), _extraWords[extra], _extraPlaces[extra]);
            }
        }

        var checkCost = fromIndex ? 1 : plan.CheckCost;
        var cost = leadEntries * (1 + probedWords + checkCost);
        var end = table.Count;
        var lo = firstId;
        while (lo < end)
        {
            var hi = WindowEnd(lo, end, cost, workLeft);
            var count = Collect(_lead.AsSpan(0, _leadWords.Count), fromIndex ? CollectionsMarshal.AsSpan(_leadPlaces) : [], lo, hi, ref _ids, ref workLeft);
            foreach (var extra in _probed)
            {
                if (count == 0)
                {
                    break;
                }

                count = Probe(table, _extraWords[extra], _extraPlaces[extra], _extraCursors[extra], count, fromIndex, ref workLeft);
            }

            workLeft -= count * checkCost;
            for (var i = 0; i < count; i++)
            {
                if (!fromIndex)
                {
                    Check(table, _ids[i], plan, excludedPeer, matches, ranks);
                    continue;
                }

                if (table.IsLiveFor(_ids[i], excludedPeer))
                {
                    matches.Add(_ids[i]);
                    ranks.Add(_places[i]);
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

    /// <summary>
    /// Keeps, at the front of the window's <paramref name="count"/> candidates, those that one of
    /// <paramref name="words"/> (a part's words) holds; returns how many. When
    /// <paramref name="placed"/>, a candidate's place becomes the worse of its place so far and
    /// the best place of the part among its words.
    /// </summary>
    private int Probe(FileTable table, List<int> words, List<byte> places, PostingCursor[] cursors, int count, bool placed, ref int workLeft)
    {
        if (_best.Length < count)
        {
            _best = new byte[_ids.Length];
        }

        if (_places.Length < count)
        {
            _places = new byte[_ids.Length];
        }

        var ids = _ids.AsSpan(0, count);
        var best = _best.AsSpan(0, count);
        best.Fill(Absent);
        for (var w = 0; w < words.Count; w++)
        {
            var word = words[w];
            // Unplaced, any word that holds a candidate is enough: place 0 spares looking again.
            var place = placed ? places[w] : (byte)0;
            if (table.DenseWords.Has(word, table.EntriesByWord.CountOfList(word)))
            {
                table.DenseWords.Probe(word, ids, best, place);
            }
            else
            {
                ProbeList(ref cursors[w], ids, best, place);
            }
        }

        workLeft -= count * words.Count;
        var kept = 0;
        for (var i = 0; i < count; i++)
        {
            if (best[i] == Absent)
            {
                continue;
            }

            ids[kept] = ids[i];
            _places[kept] = placed ? Math.Max(_places[i], best[i]) : (byte)2;
            kept++;
        }

        return kept;
    }

    /// <summary>Sets to <paramref name="place"/> the entries of <paramref name="best"/> above it whose ids (increasing) the list has.</summary>
    private static void ProbeList(ref PostingCursor cursor, ReadOnlySpan<int> ids, Span<byte> best, byte place)
    {
        for (var i = 0; i < ids.Length; i++)
        {
            if (best[i] <= place)
            {
                continue;
            }

            if (!cursor.AdvanceTo(ids[i]))
            {
                return;
            }

            if (cursor.Current == ids[i])
            {
                best[i] = place;
            }
        }
    }

    /// <summary>
    /// Starts a new search: the parts' words found for the last one are not used again (see
    /// <see cref="FindMatches"/>, which keeps them from one call to the next of the same search).
    /// </summary>
    public void NewSearch()
    {
        _choiceTable = null;
        SkippedWords = false;
    }

    /// <summary>
    /// True once a search was answered from a whole word's list alone (see
    /// <see cref="FindMatches"/>): what it found is not every match, only the best.
    /// </summary>
    public bool SkippedWords { get; private set; }

    /// <summary>Cuts the leading words to the one equal to <paramref name="part"/> when its list holds at least <paramref name="enough"/> entries.</summary>
    private bool KeepWholeWordOnly(FileTable table, ReadOnlySpan<char> part, int enough)
    {
        foreach (var word in _leadWords)
        {
            if (table.EntriesByWord.CountOfList(word) >= enough && table.Words.Text(word).SequenceEqual(part))
            {
                _leadWords.Clear();
                _leadWords.Add(word);
                SkippedWords = true;
                return true;
            }
        }

        return false;
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
    /// Whether the index alone can tell which candidates match and how they rank: when every
    /// query word is a part (<see cref="QueryPlan.WordsAreParts"/>) and every part is joined
    /// (leading, narrowing, or extra), a candidate contains each word, and the words of the
    /// candidate that contain it say where: the whole word, its start, or inside. Sorts the
    /// parts' words by that place and opens the extra parts' lists.
    /// </summary>
    private bool RanksFromIndex(FileTable table, QueryPlan plan, int narrowCount)
    {
        if (!plan.WordsAreParts || !_everyPartLooked || (plan.PartCount >= 2 && narrowCount == 0))
        {
            return false;
        }

        Place(table.Words, plan.Part(_leadPart), _leadWords, _leadPlaces);
        if (plan.PartCount >= 2)
        {
            Place(table.Words, plan.Part(_narrowPart), _narrowWords, _narrowPlaces);
        }

        for (var extra = 0; extra < _extraParts.Count; extra++)
        {
            Place(table.Words, plan.Part(_extraParts[extra]), _extraWords[extra], _extraPlaces[extra]);
            var cursors = _extraCursors[extra];
            OpenAll(table, _extraWords[extra], ref cursors);
            _extraCursors[extra] = cursors;
        }

        return true;
    }

    /// <summary>For each of <paramref name="words"/> (each contains <paramref name="part"/>): 0 when it is the part, 1 when it begins with it, 2 otherwise.</summary>
    private static void Place(TokenDictionary dictionary, ReadOnlySpan<char> part, List<int> words, List<byte> places)
    {
        places.Clear();
        foreach (var word in words)
        {
            var text = dictionary.Text(word);
            places.Add((byte)(text.SequenceEqual(part) ? 0 : text.StartsWith(part) ? 1 : 2));
        }
    }

    /// <summary>
    /// The window from <paramref name="lo"/> up to <paramref name="hi"/> as bits: the leading
    /// part's words ORed, ANDed with the narrowing part's, each id left checked in order (or,
    /// <paramref name="fromIndex"/>, ranked from where its words lie, its name unread).
    /// </summary>
    private void JoinAsBits(FileTable table, QueryPlan plan, int excludedPeer, int narrowCount, bool fromIndex, int lo, int hi, List<int> matches, List<byte> ranks, ref int workLeft)
    {
        var checkCost = fromIndex ? 1 : plan.CheckCost;
        var firstId = lo & ~63;
        var length = (hi - firstId + 63) >> 6;
        if (_leadBits.Length < length)
        {
            var grown = Math.Max(length, _leadBits.Length * 2);
            _leadBits = new ulong[grown];
            _narrowBits = new ulong[grown];
            _leadWhole = new ulong[grown];
            _leadStart = new ulong[grown];
            _narrowWhole = new ulong[grown];
            _narrowStart = new ulong[grown];
        }

        var bits = _leadBits.AsSpan(0, length);
        var whole = _leadWhole.AsSpan(0, fromIndex ? length : 0);
        var start = _leadStart.AsSpan(0, fromIndex ? length : 0);
        FillBits(table, _leadWords, _leadPlaces, _lead, lo, hi, firstId, bits, whole, start, ref workLeft);
        if (narrowCount > 0)
        {
            var narrow = _narrowBits.AsSpan(0, length);
            var narrowWhole = _narrowWhole.AsSpan(0, whole.Length);
            var narrowStart = _narrowStart.AsSpan(0, start.Length);
            FillBits(table, _narrowWords, _narrowPlaces, _narrow, lo, hi, firstId, narrow, narrowWhole, narrowStart, ref workLeft);
            BitSpans.And(bits, narrow);
            BitSpans.And(whole, narrowWhole);
            BitSpans.And(start, narrowStart);

            // Ranked by the index, every other part is joined too (in the narrowing part's bits, free again).
            for (var extra = 0; fromIndex && extra < _extraParts.Count; extra++)
            {
                FillBits(table, _extraWords[extra], _extraPlaces[extra], _extraCursors[extra], lo, hi, firstId, narrow, narrowWhole, narrowStart, ref workLeft);
                BitSpans.And(bits, narrow);
                BitSpans.And(whole, narrowWhole);
                BitSpans.And(start, narrowStart);
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
                var lowest = word & (~word + 1);
                var id = firstId + (i << 6) + System.Numerics.BitOperations.TrailingZeroCount(word);
                word ^= lowest;
                workLeft -= checkCost;
                if (!fromIndex)
                {
                    Check(table, id, plan, excludedPeer, matches, ranks);
                    continue;
                }

                if (table.IsLiveFor(id, excludedPeer))
                {
                    matches.Add(id);
                    ranks.Add((byte)((whole[i] & lowest) != 0 ? 0 : (start[i] & lowest) != 0 ? 1 : 2));
                }
            }
        }
    }

    /// <summary>
    /// Sets in <paramref name="bits"/> (bit 0: id <paramref name="firstId"/>) the ids from
    /// <paramref name="lo"/> up to <paramref name="hi"/> of any of <paramref name="words"/>; and,
    /// when <paramref name="whole"/> and <paramref name="start"/> are not empty, those of the
    /// words placed 0 in <paramref name="places"/> in both, those placed 1 in <paramref name="start"/>.
    /// </summary>
    private static void FillBits(FileTable table, List<int> words, List<byte> places, PostingCursor[] cursors, int lo, int hi, int firstId, Span<ulong> bits, Span<ulong> whole, Span<ulong> start, ref int workLeft)
    {
        bits.Clear();
        whole.Clear();
        start.Clear();
        var placed = !whole.IsEmpty;
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            var place = placed ? places[i] : 2;
            if (table.DenseWords.Has(word, table.EntriesByWord.CountOfList(word)))
            {
                table.DenseWords.OrInto(word, bits, firstId);
                workLeft -= bits.Length;
                if (place <= 1)
                {
                    table.DenseWords.OrInto(word, start, firstId);
                    workLeft -= bits.Length;
                }

                if (place == 0)
                {
                    table.DenseWords.OrInto(word, whole, firstId);
                    workLeft -= bits.Length;
                }

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
                var bit = 1UL << (at & 63);
                bits[at >> 6] |= bit;
                if (place <= 1)
                {
                    start[at >> 6] |= bit;
                    if (place == 0)
                    {
                        whole[at >> 6] |= bit;
                    }
                }

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
        _extraParts.Clear();
        _everyPartLooked = false;
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
        var looked = 0;
        foreach (var ordered in _partOrder)
        {
            if ((ordered >> 32) > leadEntries && _leadWords.Count > 0)
            {
                break;
            }

            looked++;

            var part = (int)(ordered & 0xFFFFFFFF);
            _partWords.Clear();
            dictionary.FindContaining(plan.Part(part), _partWords, ref workLeft);
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
                KeepExtra(_narrowPart, _narrowWords);
                _narrowWords.Clear();
                _narrowWords.AddRange(_leadWords);
                narrowEntries = leadEntries;
                _leadWords.Clear();
                _leadWords.AddRange(_partWords);
                leadEntries = entries;
                _narrowPart = _leadPart;
                _leadPart = part;
            }
            else if (entries < narrowEntries)
            {
                KeepExtra(_narrowPart, _narrowWords);
                _narrowWords.Clear();
                _narrowWords.AddRange(_partWords);
                narrowEntries = entries;
                _narrowPart = part;
            }
            else
            {
                KeepExtra(part, _partWords);
            }
        }

        _everyPartLooked = looked == plan.PartCount;
        return true;
    }

    /// <summary>Keeps the words of a part that neither leads nor narrows (nothing when <paramref name="words"/> is empty).</summary>
    private void KeepExtra(int part, List<int> words)
    {
        if (words.Count == 0)
        {
            return;
        }

        var extra = _extraParts.Count;
        if (extra == _extraWords.Count)
        {
            _extraWords.Add([]);
            _extraPlaces.Add([]);
            _extraCursors.Add(new PostingCursor[16]);
        }

        _extraParts.Add(part);
        _extraWords[extra].Clear();
        _extraWords[extra].AddRange(words);
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
    private int Collect(Span<PostingCursor> cursors, ReadOnlySpan<byte> places, int lo, int hi, ref int[] ids, ref int workLeft)
    {
        var placed = !places.IsEmpty;
        var count = 0;
        _runEnds.Clear();
        for (var w = 0; w < cursors.Length; w++)
        {
            ref var cursor = ref cursors[w];
            if (!cursor.AdvanceTo(lo))
            {
                continue;
            }

            // Placed, an id is kept with its word's place in its two low bits, so that merged
            // runs put an id's best place first.
            var place = placed ? places[w] : 0;
            var before = count;
            while (cursor.Current < hi)
            {
                if (count == ids.Length)
                {
                    Array.Resize(ref ids, ids.Length * 2);
                }

                ids[count++] = placed ? (cursor.Current << 2) | place : cursor.Current;
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
        count = _runEnds.Count <= 1 ? count : MergeRuns(ref ids, count);
        return placed ? SplitPlaces(ids, count) : count;
    }

    /// <summary>Splits merged placed ids into ids and <see cref="_places"/>, an id once with its best place; returns how many.</summary>
    private int SplitPlaces(int[] ids, int count)
    {
        if (_places.Length < ids.Length)
        {
            _places = new byte[ids.Length];
        }

        var kept = 0;
        var last = -1;
        for (var i = 0; i < count; i++)
        {
            var id = ids[i] >> 2;
            if (id == last)
            {
                continue;
            }

            last = id;
            _places[kept] = (byte)(ids[i] & 3);
            ids[kept++] = id;
        }

        return kept;
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
