namespace P2PShare.Directory.Search;

/// <summary>
/// The keys of the trigram index: three consecutive case-folded UTF-16 code units packed into
/// one <see cref="ulong"/>. A name is indexed under each trigram it contains; a query word of
/// three or more characters can only occur in names indexed under all of its trigrams.
/// </summary>
internal static class Trigrams
{
    /// <summary>Shortest word that has a trigram.</summary>
    public const int Length = 3;

    // Where text is folded: kept per thread rather than stackalloc'd, which would clear the
    // buffer for every name.
    [ThreadStatic]
    private static char[]? _threadFolded;

    public static ulong Key(char a, char b, char c) => ((ulong)a << 32) | ((ulong)b << 16) | c;

    /// <summary>
    /// Appends the trigram keys of <paramref name="text"/> (folded here) to <paramref name="keys"/>,
    /// in text order, repeats included (posting lists ignore a repeated id); returns how many.
    /// </summary>
    public static int Collect(ReadOnlySpan<char> text, List<ulong> keys)
    {
        if (text.Length < Length)
        {
            return 0;
        }

        if (_threadFolded is null || _threadFolded.Length < text.Length)
        {
            _threadFolded = new char[Math.Max(text.Length, 1024)];
        }

        var folded = _threadFolded.AsSpan(0, text.Length);
        CaseFolding.Fold(text, folded);
        var count = text.Length - Length + 1;
        for (var i = 0; i < count; i++)
        {
            keys.Add(Key(folded[i], folded[i + 1], folded[i + 2]));
        }

        return count;
    }
}
