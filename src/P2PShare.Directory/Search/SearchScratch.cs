using System.Text;

namespace P2PShare.Directory.Search;

/// <summary>
/// What one search needs besides the registry, and where it has got to: a search may run in
/// several steps (see <see cref="InMemoryPeerRegistry"/>), on different threads, so this is
/// rented from the registry for the whole search and given back after, and a search allocates
/// nothing in the steady state.
/// </summary>
internal sealed class SearchScratch
{
    private char[] _query = new char[256];
    private int _queryLength;

    public QueryPlan Plan { get; } = new();

    public FileMatcher Matcher { get; } = new();

    public SearchRanking Ranking { get; } = new();

    /// <summary>Matching entry ids: in id order while searching, in rank order once ranked.</summary>
    public List<int> Matches { get; } = [];

    /// <summary>
    /// The rank of each of <see cref="Matches"/> as the search found it (see
    /// <see cref="QueryPlan.RankIfMatches"/>), or as the cache remembered it.
    /// </summary>
    public List<byte> Ranks { get; } = [];

    /// <summary>Peer slot → index of its group in <see cref="GroupPeers"/>.</summary>
    public Dictionary<int, int> GroupOfPeer { get; } = [];

    /// <summary>Per group: the peer slot, in order of first appearance.</summary>
    public List<int> GroupPeers { get; } = [];

    /// <summary>Per group: the number of matches, then (after a prefix sum) where its matches go in <see cref="Ordered"/>.</summary>
    public List<int> GroupCounts { get; } = [];

    /// <summary>The matches reordered by group.</summary>
    public int[] Ordered { get; set; } = [];

    /// <summary>The query's text.</summary>
    public ReadOnlySpan<char> Query => _query.AsSpan(0, _queryLength);

    // Where the search is: which pass, where it goes on from, what it may still spend.
    public SearchPass Pass { get; set; }

    public int NextId { get; set; }

    public int WorkLeft { get; set; }

    public int MaxFiles { get; set; }

    /// <summary>
    /// True once <see cref="Matches"/> were cut to the best <see cref="MaxFiles"/> because the
    /// search found more than it keeps (see <see cref="SearchRanking.Prune"/>): they are no
    /// longer all the matches, and the cache must not remember them.
    /// </summary>
    public bool Pruned { get; set; }

    /// <summary>
    /// Forgets what the search found so far, to begin it, or again after a compaction
    /// renumbered the entries: no matches, not pruned, the parts' words to be looked up afresh.
    /// </summary>
    public void StartOver()
    {
        Matches.Clear();
        Ranks.Clear();
        Pruned = false;
        Matcher.NewSearch();
        Pass = SearchPass.Start;
    }

    /// <summary>The asker's peer slot, left out of the results (-1: nobody).</summary>
    public int Excluded { get; set; }

    public PeerKey? ExcludedPeer { get; set; }

    /// <summary>What the cache remembered of this query when the search began (null: nothing).</summary>
    public SearchCache.Entry? Remembered { get; set; }

    /// <summary>The table epoch the ids in <see cref="Matches"/> belong to.</summary>
    public int Epoch { get; set; }

    /// <summary>Decodes the query (already checked to be short enough) into this scratch.</summary>
    public void SetQuery(ReadOnlySpan<byte> utf8)
    {
        if (_query.Length < utf8.Length)
        {
            _query = new char[Math.Max(utf8.Length, 2 * _query.Length)];
        }

        _queryLength = Encoding.UTF8.GetChars(utf8, _query);
    }

    /// <summary>Sets the query from characters (for callers that have a string).</summary>
    public void SetQuery(ReadOnlySpan<char> query)
    {
        if (_query.Length < query.Length)
        {
            _query = new char[Math.Max(query.Length, 2 * _query.Length)];
        }

        query.CopyTo(_query);
        _queryLength = query.Length;
    }
}

/// <summary>The passes of a search (see <see cref="InMemoryPeerRegistry"/>).</summary>
internal enum SearchPass
{
    /// <summary>Not begun (or begun again after the table was compacted under it).</summary>
    Start,

    /// <summary>Extending a remembered search, with nobody left out (what the cache keeps).</summary>
    Remembered,

    /// <summary>Searching with the asker's files left out.</summary>
    Direct,

    Done,
}
