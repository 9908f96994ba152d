namespace P2PShare.Directory;

/// <summary>
/// What one SEARCH may cost the directory. A query over the length or word limit is refused
/// with ERROR 1 (the connection stays open); a query whose candidates run past the work budget
/// is answered with the matches found within it (PROTOCOL.md section 8.2).
/// </summary>
public sealed class SearchLimits
{
    /// <summary>Longest query, in UTF-8 bytes (<c>--max-query-bytes</c>).</summary>
    public int MaxQueryBytes { get; init; } = 1024;

    /// <summary>Most distinct words in a query, ignoring case (<c>--max-query-words</c>).</summary>
    public int MaxQueryWords { get; init; } = 32;

    /// <summary>
    /// Most entries one search may look at (<c>--max-search-work</c>): ids read from posting
    /// lists count one each, names checked against the words one per query word. A search that reaches it
    /// answers with what it found so far.
    /// </summary>
    public int MaxWork { get; init; } = 2_000_000;

    /// <summary>Most bytes the search cache may hold, keys and remembered ids (<c>--max-search-cache-bytes</c>).</summary>
    public long MaxCacheBytes { get; init; } = 64L << 20;

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxQueryBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxQueryBytes, ushort.MaxValue);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxQueryWords);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxWork);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxCacheBytes);
    }
}
