using System.Collections.Concurrent;

namespace P2PShare.Directory.Search;

/// <summary>
/// Remembers, per query (with nobody's files left out), which entries matched and how far the table had been searched, so that
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
/// Bounded: when it holds too many queries or ids it simply starts over.
/// </remarks>
internal sealed class SearchCache
{
    private const int MaxQueries = 32 * 1024;
    private const long MaxIds = 2 * 1024 * 1024;

    private readonly ConcurrentDictionary<string, Entry> _entries;
    // Looks a query up by its characters, so that finding one allocates nothing.
    private readonly ConcurrentDictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> _byText;
    private int _queries;
    private long _ids;

    public SearchCache()
    {
        _entries = new ConcurrentDictionary<string, Entry>(StringComparer.Ordinal);
        _byText = _entries.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Changes whenever entry ids are renumbered; remembered searches of another epoch are ignored.</summary>
    public int Epoch { get; set; }

    /// <summary>
    /// The remembered search for <paramref name="query"/> with the limit <paramref name="maxFiles"/>, or null.
    /// One search is remembered per query: the server always asks with the same limit, and
    /// another limit simply replaces it.
    /// </summary>
    public Entry? Find(ReadOnlySpan<char> query, int maxFiles) =>
        _byText.TryGetValue(query, out var entry) && entry.Epoch == Epoch && entry.MaxFiles == maxFiles ? entry : null;

    /// <summary>Remembers that the entries <paramref name="ids"/> (increasing) are the matches found before id <paramref name="searchedTo"/>.</summary>
    public void Remember(ReadOnlySpan<char> query, int maxFiles, ReadOnlySpan<int> ids, int searchedTo)
    {
        var entry = new Entry(ids.ToArray(), searchedTo, maxFiles, Epoch);
        // Ids are counted on every store, replacements too: the count can only overestimate
        // what is held, so the bound holds whatever the mix of new and updated queries.
        var tooMany = false;
        if (_byText.TryGetValue(query, out var key, out _))
        {
            // A query remembered before keeps its string: replacing its entry allocates no key.
            _entries[key] = entry;
        }
        else if (_entries.TryAdd(query.ToString(), entry))
        {
            tooMany = Interlocked.Increment(ref _queries) > MaxQueries;
        }

        if (Interlocked.Add(ref _ids, ids.Length) > MaxIds || tooMany)
        {
            Clear();
        }
    }

    public void Clear()
    {
        _entries.Clear();
        Interlocked.Exchange(ref _queries, 0);
        Interlocked.Exchange(ref _ids, 0);
    }

    /// <summary>One remembered search: the matching ids it found, in order, and the id it searched up to (exclusive).</summary>
    internal sealed record Entry(int[] Ids, int SearchedTo, int MaxFiles, int Epoch);
}
