using System.Collections.Concurrent;

namespace P2PShare.Directory.Search;

/// <summary>
/// Remembers, per query (with nobody's files left out), which entries matched, with their ranks, and how far the table had been searched, so that
/// a repeated query only has to look at what changed since: entries that died are dropped from
/// the remembered ids, and the search goes on from where it stopped (from the first entry added
/// since, or past the last id when the result was cut at the limit). This is correct because
/// within one <see cref="Epoch"/> of a <see cref="FileTable"/> ids only ever get appended and an
/// entry only ever goes from alive to dead; a compaction renumbers everything and starts a new
/// epoch, which makes every remembered search stale.
/// </summary>
/// <remarks>
/// A rare multi-word query still costs tens of microseconds the first time (the posting lists of
/// words found in one name in a hundred are thousands of ids long), and repeated queries are what
/// a directory mostly answers. Safe for concurrent use: entries are immutable and replaced whole.
/// Bounded in bytes (keys, ids and what each entry costs besides) and in matches per entry
/// (<see cref="MaxMatches"/>): when a new entry would go past the bound in bytes, it simply
/// starts over, so a client asking ever new queries costs at most the bound, never more.
/// </remarks>
internal sealed class SearchCache
{
    /// <summary>
    /// Most matches a remembered search keeps. A broader search is not remembered (and what was
    /// remembered of it is forgotten): its ids would land on the large object heap, replaced
    /// query after query, while running a broad search again costs about what copying its
    /// matches does. A search itself holds no more than this many (see
    /// <see cref="SearchRanking.Prune"/>).
    /// </summary>
    public const int MaxMatches = 16 * 1024;

    /// <summary>What an entry costs besides its key's characters, its ids and their ranks: three objects, two array headers, a dictionary slot.</summary>
    private const int EntryOverheadBytes = 184;

    private readonly ConcurrentDictionary<string, Entry> _entries;
    // Looks a query up by its characters, so that finding one allocates nothing.
    private readonly ConcurrentDictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> _byText;
    private readonly long _maxBytes;
    private long _bytes;

    /// <param name="maxBytes">Most bytes the remembered searches may take (0 remembers nothing).</param>
    public SearchCache(long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        _maxBytes = maxBytes;
        _entries = new ConcurrentDictionary<string, Entry>(StringComparer.Ordinal);
        _byText = _entries.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Bytes counted for what is remembered now (an overestimate: replaced entries are counted until the next start-over).</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Changes whenever entry ids are renumbered; remembered searches of another epoch are ignored.</summary>
    public int Epoch { get; set; }

    /// <summary>
    /// The remembered search for <paramref name="query"/> with the limit <paramref name="maxFiles"/>, or null.
    /// One search is remembered per query: the server always asks with the same limit, and
    /// another limit simply replaces it.
    /// </summary>
    public Entry? Find(ReadOnlySpan<char> query, int maxFiles) =>
        _byText.TryGetValue(query, out var entry) && entry.Epoch == Epoch && entry.MaxFiles == maxFiles ? entry : null;

    /// <summary>
    /// Remembers that the entries <paramref name="ids"/> (increasing) are the matches found
    /// before id <paramref name="searchedTo"/>, with their <paramref name="ranks"/> (what
    /// <see cref="QueryPlan.RankIfMatches"/> said: a name never changes, so neither does its
    /// rank, and a repeated query need not read the names again).
    /// </summary>
    public void Remember(ReadOnlySpan<char> query, int maxFiles, ReadOnlySpan<int> ids, ReadOnlySpan<byte> ranks, int searchedTo)
    {
        if (ranks.Length != ids.Length)
        {
            throw new ArgumentException("one rank per id", nameof(ranks));
        }

        if (ids.Length > MaxMatches)
        {
            Forget(query);
            return;
        }

        var cost = EntryOverheadBytes + (5L * ids.Length);
        var known = _byText.TryGetValue(query, out var key, out _);
        if (!known)
        {
            cost += 2L * query.Length;
        }

        // Every store is counted, replacements too: the count can only overestimate what is
        // held, so the bound holds whatever the mix of new and updated queries.
        if (cost > _maxBytes)
        {
            return;
        }

        if (Interlocked.Add(ref _bytes, cost) > _maxBytes)
        {
            Clear();
            Interlocked.Add(ref _bytes, cost);
            known = false;
        }

        var entry = new Entry(ids.ToArray(), ranks.ToArray(), searchedTo, maxFiles, Epoch);
        if (known)
        {
            // A query remembered before keeps its string: replacing its entry allocates no key.
            _entries[key!] = entry;
        }
        else
        {
            _entries[query.ToString()] = entry;
        }
    }

    /// <summary>Forgets what was remembered of <paramref name="query"/>, if anything.</summary>
    public void Forget(ReadOnlySpan<char> query) => _byText.TryRemove(query, out _, out _);

    public void Clear()
    {
        _entries.Clear();
        Interlocked.Exchange(ref _bytes, 0);
    }

    /// <summary>One remembered search: the matching ids it found, in order, their ranks, and the id it searched up to (exclusive).</summary>
    internal sealed record Entry(int[] Ids, byte[] Ranks, int SearchedTo, int MaxFiles, int Epoch);
}
