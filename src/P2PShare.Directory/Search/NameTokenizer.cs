using System.Runtime.InteropServices;

namespace P2PShare.Directory.Search;

/// <summary>
/// Splits a file name into the words the index keys on: the maximal runs of letters and digits
/// (<see cref="char.IsLetterOrDigit(char)"/>) of the case-folded name (see
/// <see cref="CaseFolding"/>). A query word made of letters and digits occurs in a name exactly
/// when it occurs inside one of the name's words, so the words containing it (found in the
/// <see cref="TokenDictionary"/>) lead to every name it can match. Each word also gets a key
/// for the <see cref="PostingIndex"/> of entries: a hash of its folded text, seeded per process;
/// two words with the same key are told apart by <see cref="FileTable"/>, which compares texts.
/// Reusable, not thread-safe.
/// </summary>
internal sealed class NameTokenizer
{
    private readonly List<ulong> _keys = [];
    private readonly List<char> _chars = [];
    private readonly List<int> _ends = [];
    private char[] _folded = new char[256];

    /// <summary>The words' keys, in name order, repeats included.</summary>
    public ReadOnlySpan<ulong> Keys => CollectionsMarshal.AsSpan(_keys);

    /// <summary>The words' folded characters, one after another (see <see cref="Ends"/>).</summary>
    public ReadOnlySpan<char> Chars => CollectionsMarshal.AsSpan(_chars);

    /// <summary>Where each word ends in <see cref="Chars"/>.</summary>
    public ReadOnlySpan<int> Ends => CollectionsMarshal.AsSpan(_ends);

    public int Count => _keys.Count;

    /// <summary>Whether <paramref name="folded"/> belongs in a word (the same test for names, queries and ranking).</summary>
    public static bool IsWordChar(char folded) => char.IsLetterOrDigit(folded);

    /// <summary>The key of a word given folded; keys stay below 2^63.</summary>
    public static ulong KeyOf(ReadOnlySpan<char> folded) =>
        ((ulong)(uint)string.GetHashCode(folded) << 31) ^ ((ulong)folded.Length << 16) ^ folded[0];

    /// <summary>The key to try after <paramref name="key"/> when another word has it.</summary>
    public static ulong NextKey(ulong key) => ((key * 0x9E3779B97F4A7C15UL) + 1) >> 1;

    /// <summary>Splits <paramref name="name"/>, replacing what the previous call found.</summary>
    public void Tokenize(ReadOnlySpan<char> name)
    {
        _keys.Clear();
        _chars.Clear();
        _ends.Clear();
        if (_folded.Length < name.Length)
        {
            _folded = new char[Math.Max(name.Length, _folded.Length * 2)];
        }

        var folded = _folded.AsSpan(0, name.Length);
        CaseFolding.Fold(name, folded);
        var i = 0;
        while (i < folded.Length)
        {
            while (i < folded.Length && !IsWordChar(folded[i]))
            {
                i++;
            }

            var start = i;
            while (i < folded.Length && IsWordChar(folded[i]))
            {
                i++;
            }

            if (i > start)
            {
                var word = folded[start..i];
                _keys.Add(KeyOf(word));
                _chars.AddRange(word);
                _ends.Add(_chars.Count);
            }
        }
    }

    /// <summary>Word number <paramref name="word"/> of the last call.</summary>
    public ReadOnlySpan<char> Word(int word) => Chars[(word == 0 ? 0 : _ends[word - 1]).._ends[word]];
}
