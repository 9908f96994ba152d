namespace P2PShare.Directory.Search;

/// <summary>
/// The words of one name as <see cref="NameTokenizer"/> found them: their keys, and their folded
/// characters one after another with where each ends (relative to the name's first word).
/// </summary>
internal readonly ref struct NameTokens(ReadOnlySpan<ulong> keys, ReadOnlySpan<char> chars, ReadOnlySpan<int> ends)
{
    private readonly ReadOnlySpan<char> _chars = chars;
    private readonly ReadOnlySpan<int> _ends = ends;

    public ReadOnlySpan<ulong> Keys { get; } = keys;

    public int Count => Keys.Length;

    /// <summary>The folded characters of word number <paramref name="word"/>.</summary>
    public ReadOnlySpan<char> Word(int word) => _chars[(word == 0 ? 0 : _ends[word - 1]).._ends[word]];
}
