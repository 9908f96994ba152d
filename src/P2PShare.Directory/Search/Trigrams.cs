namespace P2PShare.Directory.Search;

/// <summary>
/// Keys of three consecutive case-folded UTF-16 code units packed into one <see cref="ulong"/>
/// (48 bits): how the <see cref="TokenDictionary"/> finds the words that contain a query part.
/// </summary>
internal static class Trigrams
{
    public static ulong Key(char a, char b, char c) => ((ulong)a << 32) | ((ulong)b << 16) | c;
}
