namespace P2PShare.Directory.Search;

/// <summary>
/// Maps every UTF-16 code unit to one representative of the characters that
/// <see cref="StringComparison.OrdinalIgnoreCase"/> considers equal to it, so that the word
/// index can key on folded text: if a query word occurs in a name ignoring case, its folded
/// text occurs in the folded name.
/// </summary>
/// <remarks>
/// The table is derived from the runtime's own comparison rather than from
/// <see cref="char.ToUpperInvariant(char)"/>, which differs from OrdinalIgnoreCase for a few
/// characters (dotless i, for instance): sorting all characters with the comparison puts each
/// class of equal characters next to each other. Surrogates are compared as pairs by the runtime,
/// so they all fold to one code unit (not a letter: it ends a word); the exact substring check
/// that follows every index lookup decides for them.
/// </remarks>
internal static class CaseFolding
{
    /// <summary>What every surrogate code unit folds to.</summary>
    public const char Surrogate = '\uD800';

    private static readonly char[] Table = BuildTable();

    public static char Fold(char c) => Table[c];

    /// <summary>Folds <paramref name="source"/> into <paramref name="destination"/> (same length).</summary>
    public static void Fold(ReadOnlySpan<char> source, Span<char> destination)
    {
        var table = Table;
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = table[source[i]];
        }
    }

    private static char[] BuildTable()
    {
        var table = new char[char.MaxValue + 1];
        var chars = new List<char>(char.MaxValue + 1);
        for (var c = 0; c <= char.MaxValue; c++)
        {
            if (char.IsSurrogate((char)c))
            {
                table[c] = Surrogate;
            }
            else
            {
                chars.Add((char)c);
            }
        }

        var sorted = chars.ToArray();
        // Ties are broken by code unit so that the representative of a class (its smallest code
        // unit) does not depend on the sort.
        Array.Sort(sorted, (a, b) => CompareIgnoringCase(a, b) is var order and not 0 ? order : a.CompareTo(b));
        var representative = sorted[0];
        foreach (var c in sorted)
        {
            if (CompareIgnoringCase(c, representative) != 0)
            {
                representative = c;
            }

            table[c] = representative;
        }

        return table;
    }

    private static int CompareIgnoringCase(char a, char b) =>
        new ReadOnlySpan<char>(in a).CompareTo(new ReadOnlySpan<char>(in b), StringComparison.OrdinalIgnoreCase);
}
