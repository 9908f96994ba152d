namespace P2PShare.Directory.Search;

/// <summary>
/// What one search needs besides the registry, kept per thread so that a search allocates
/// nothing in the steady state. A search runs synchronously on one thread from parsing to the
/// last result handed to the sink, so a thread never uses two at once.
/// </summary>
internal sealed class SearchScratch
{
    [ThreadStatic]
    private static SearchScratch? _threadCurrent;

    public QueryPlan Plan { get; } = new();

    public FileMatcher Matcher { get; } = new();

    /// <summary>Matching entry ids, in id order.</summary>
    public List<int> Matches { get; } = [];

    /// <summary>Peer slot → index of its group in <see cref="GroupPeers"/>.</summary>
    public Dictionary<int, int> GroupOfPeer { get; } = [];

    /// <summary>Per group: the peer slot, in order of first appearance.</summary>
    public List<int> GroupPeers { get; } = [];

    /// <summary>Per group: the number of matches, then (after a prefix sum) where its matches go in <see cref="Ordered"/>.</summary>
    public List<int> GroupCounts { get; } = [];

    /// <summary>The matches reordered by group.</summary>
    public int[] Ordered { get; set; } = [];

    public static SearchScratch ForThisThread() => _threadCurrent ??= new SearchScratch();
}
