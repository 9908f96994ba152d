namespace P2PShare.Directory;

/// <summary>
/// The matching rule of SEARCH, kept in one place so every registry implementation agrees: a
/// file matches when each whitespace-separated word of the query occurs somewhere in its name,
/// compared ordinally ignoring case ("ubuntu ISO" matches "isos/Ubuntu-24.04.iso"). Words may
/// match overlapping parts of the name and in any order.
/// </summary>
public sealed class SearchQuery
{
    private readonly string[] _words;

    public SearchQuery(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        // A null separator array splits on every Unicode white-space character.
        _words = query.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The words every name must contain.</summary>
    public IReadOnlyList<string> Words => _words;

    /// <summary>
    /// True for an empty or all-whitespace query. It has no words, so every file matches: an
    /// empty SEARCH lists everything that is shared (up to the result limit), which is a useful
    /// "browse" and costs no more than any other query that matches a lot.
    /// </summary>
    public bool MatchesEverything => _words.Length == 0;

    public bool Matches(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        foreach (var word in _words)
        {
            if (!fileName.Contains(word, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }
}
