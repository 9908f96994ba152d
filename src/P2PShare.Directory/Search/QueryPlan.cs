using System.Runtime.InteropServices;
using System.Text;

namespace P2PShare.Directory.Search;

/// <summary>
/// A SEARCH query taken apart for the index: its words, each case-folded (see
/// <see cref="CaseFolding"/>) and, when that is all ASCII, as bytes too, and the parts of each
/// word the index can look up: its runs of two or more letters and digits (see
/// <see cref="NameTokenizer"/>), each of which lies inside one word of any name the query word
/// occurs in. Same rule as <see cref="SearchQuery"/>: words are separated by Unicode white
/// space, and a name matches when it contains every word, ordinally ignoring case. Reusable:
/// <see cref="Parse"/> overwrites the previous query.
/// </summary>
/// <remarks>
/// The runtime's <see cref="StringComparison.OrdinalIgnoreCase"/> substring search costs a few
/// hundred nanoseconds per name (this process runs with invariant globalization), about twenty
/// times an ordinal search, so names are folded with the same table and searched ordinally:
/// ASCII names as bytes, others as chars. Text with surrogates is left to the runtime, since the
/// table does not fold surrogate pairs.
/// </remarks>
internal sealed class QueryPlan
{
    /// <summary>What <see cref="RankIfMatches"/> returns for a name the query does not match.</summary>
    public const int NoMatch = -1;

    private readonly List<Range> _words = [];
    private readonly List<Range> _parts = [];
    private readonly List<Word> _folded = [];
    private readonly List<char> _foldedChars = [];
    private readonly List<byte> _foldedBytes = [];
    // The query's text, copied (the caller's span may be a stack buffer), for the runtime's
    // search in the rare names with surrogates.
    private char[] _query = new char[256];
    private int _queryLength;

    // Where candidate names are folded (a plan is used by one thread at a time): buffers kept
    // rather than stackalloc'd, which would clear a kilobyte for every name looked at.
    private byte[] _nameBytes = new byte[1024];
    private char[] _nameChars = new char[1024];
    private bool _anySurrogates;
    private bool _allAscii;
    private bool _wordsAreParts;

    /// <summary>True when the query has no words: every name matches.</summary>
    public bool MatchesEverything => _words.Count == 0;

    public int WordCount => _words.Count;

    /// <summary>
    /// True when every word is a part (two or more letters and digits, nothing else), part
    /// number i being word number i: a name then matches exactly when each part lies inside one
    /// of the name's words, and ranks by how it lies there (the whole word, its start, or
    /// inside), so that the index alone can answer, without reading the name.
    /// </summary>
    public bool WordsAreParts => _wordsAreParts && _words.Count > 0;

    /// <summary>
    /// Units of search work one <see cref="RankIfMatches"/> of this query costs: one per word
    /// (at least one), since each word is searched for in the name on its own. Counting a check
    /// as one unit whatever the query let a query of 32 one-letter words spend 32 times the CPU
    /// a search is allowed.
    /// </summary>
    public int CheckCost => Math.Max(1, _words.Count);

    public void Parse(ReadOnlySpan<char> query)
    {
        if (_query.Length < query.Length)
        {
            _query = new char[query.Length];
        }

        query.CopyTo(_query);
        _queryLength = query.Length;
        _words.Clear();
        _parts.Clear();
        _folded.Clear();
        _foldedChars.Clear();
        _foldedBytes.Clear();
        _anySurrogates = false;
        _allAscii = true;
        _wordsAreParts = true;
        var i = 0;
        while (i < query.Length)
        {
            while (i < query.Length && char.IsWhiteSpace(query[i]))
            {
                i++;
            }

            var start = i;
            while (i < query.Length && !char.IsWhiteSpace(query[i]))
            {
                i++;
            }

            if (i > start)
            {
                AddWord(query[start..i], start..i);
            }
        }
    }

    /// <summary>Parts the index can look up (runs of two or more letters and digits, each once), over all words.</summary>
    public int PartCount => _parts.Count;

    /// <summary>Part number <paramref name="part"/>, folded.</summary>
    public ReadOnlySpan<char> Part(int part) => CollectionsMarshal.AsSpan(_foldedChars)[_parts[part]];

    /// <summary>
    /// The exact rule and the rank (see PROTOCOL.md section 8.2) of a name given as UTF-8, in
    /// one pass, checked on every candidate the index proposes: -1 when some word does not occur
    /// in it; otherwise 0 when every word occurs in it as a whole word, 1 when every word occurs
    /// at least at the start of a word, 2 otherwise. A word's best occurrence counts; the
    /// query's worst word decides.
    /// </summary>
    public int RankIfMatches(ReadOnlySpan<byte> utf8Name, bool isAscii)
    {
        if (_words.Count == 0)
        {
            return 0;
        }

        if (isAscii)
        {
            // An ASCII name folds to ASCII, so a word that folds to anything else cannot occur in it.
            if (!_allAscii)
            {
                return NoMatch;
            }

            if (_nameBytes.Length < utf8Name.Length)
            {
                _nameBytes = new byte[utf8Name.Length];
            }

            Ascii.ToUpper(utf8Name, _nameBytes, out var length);
            var name = _nameBytes.AsSpan(0, length);
            var bytes = CollectionsMarshal.AsSpan(_foldedBytes);
            var worst = 0;
            foreach (var word in _folded)
            {
                var best = BestOccurrence(name, bytes[word.Chars]);
                if (best == NoMatch)
                {
                    return NoMatch;
                }

                worst = Math.Max(worst, best);
            }

            return worst;
        }

        if (_nameChars.Length < utf8Name.Length)
        {
            _nameChars = new char[utf8Name.Length];
        }

        return RankDecoded(_nameChars.AsSpan(0, Encoding.UTF8.GetChars(utf8Name, _nameChars)));
    }

    /// <summary><see cref="RankIfMatches"/> of a decoded name, folding it in place.</summary>
    private int RankDecoded(Span<char> name)
    {
        var worst = 0;
        // Asked as ushorts: the char overload allocated 96 bytes a call on .NET 10 (measured), once
        // per non-ASCII candidate name: the last allocation a search made.
        if (_anySurrogates || MemoryMarshal.Cast<char, ushort>(name).ContainsAnyInRange((ushort)0xD800, (ushort)0xDFFF))
        {
            var query = _query.AsSpan(0, _queryLength);
            foreach (var word in _words)
            {
                var best = BestOccurrenceIgnoringCase(name, query[word]);
                if (best == NoMatch)
                {
                    return NoMatch;
                }

                worst = Math.Max(worst, best);
            }

            return worst;
        }

        CaseFolding.Fold(name, name);
        var chars = CollectionsMarshal.AsSpan(_foldedChars);
        foreach (var word in _folded)
        {
            var best = BestOccurrence<char>(name, chars[word.Chars]);
            if (best == NoMatch)
            {
                return NoMatch;
            }

            worst = Math.Max(worst, best);
        }

        return worst;
    }

    /// <summary>Adds a word, unless the query has it already (ignoring case): a repeated word adds no condition, only work.</summary>
    private void AddWord(ReadOnlySpan<char> word, Range range)
    {
        var firstChar = _foldedChars.Count;
        foreach (var c in word)
        {
            _foldedChars.Add(CaseFolding.Fold(c));
        }

        // Compared as the runtime compares, not by folded text: the table folds every surrogate
        // to one code unit, which would take two different lone surrogates for one word.
        var query = _query.AsSpan(0, _queryLength);
        foreach (var known in _words)
        {
            if (query[known].Equals(word, StringComparison.OrdinalIgnoreCase))
            {
                _foldedChars.RemoveRange(firstChar, word.Length);
                return;
            }
        }

        _words.Add(range);
        var parts = _parts.Count;
        AddParts(firstChar);
        // A distinct word of letters and digits only is one new part, equal to it.
        _wordsAreParts &= _parts.Count == parts + 1 && _parts[parts].Start.Value == firstChar && _parts[parts].End.Value == _foldedChars.Count;
        foreach (var c in word)
        {
            var foldedChar = CaseFolding.Fold(c);
            _anySurrogates |= char.IsSurrogate(c);
            _allAscii &= char.IsAscii(foldedChar);
            _foldedBytes.Add((byte)foldedChar); // used only when every folded word is ASCII
        }

        _folded.Add(new Word(firstChar.._foldedChars.Count));
    }

    /// <summary>Adds the runs of two or more letters and digits of the word folded from <paramref name="firstChar"/> on, each once.</summary>
    private void AddParts(int firstChar)
    {
        var i = firstChar;
        while (i < _foldedChars.Count)
        {
            while (i < _foldedChars.Count && !NameTokenizer.IsWordChar(_foldedChars[i]))
            {
                i++;
            }

            var start = i;
            while (i < _foldedChars.Count && NameTokenizer.IsWordChar(_foldedChars[i]))
            {
                i++;
            }

            if (i - start < 2)
            {
                continue;
            }

            var chars = CollectionsMarshal.AsSpan(_foldedChars);
            var known = false;
            foreach (var part in _parts)
            {
                known |= chars[part].SequenceEqual(chars[start..i]);
            }

            if (!known)
            {
                _parts.Add(start..i);
            }
        }
    }

    /// <summary>The class of the best occurrence of <paramref name="word"/> in <paramref name="name"/> (<see cref="NoMatch"/> when it has none).</summary>
    private static int BestOccurrence<T>(ReadOnlySpan<T> name, ReadOnlySpan<T> word)
        where T : unmanaged, IEquatable<T>
    {
        var best = NoMatch;
        var from = 0;
        while (best != 0)
        {
            var found = name[from..].IndexOf(word);
            if (found < 0)
            {
                break;
            }

            var at = from + found;
            var rank = ClassAt(name, at, at + word.Length);
            best = best == NoMatch ? rank : Math.Min(best, rank);
            from = at + 1;
        }

        return best;
    }

    private static int BestOccurrenceIgnoringCase(ReadOnlySpan<char> name, ReadOnlySpan<char> word)
    {
        var best = NoMatch;
        var from = 0;
        while (best != 0)
        {
            var found = name[from..].IndexOf(word, StringComparison.OrdinalIgnoreCase);
            if (found < 0)
            {
                break;
            }

            var at = from + found;
            var rank = ClassAt(name, at, at + word.Length);
            best = best == NoMatch ? rank : Math.Min(best, rank);
            from = at + 1;
        }

        return best;
    }

    /// <summary>0 when an occurrence from <paramref name="start"/> to <paramref name="end"/> is a whole word, 1 when it begins one, 2 otherwise.</summary>
    private static int ClassAt<T>(ReadOnlySpan<T> name, int start, int end)
        where T : unmanaged
    {
        if (!IsBoundary(name, start))
        {
            return 2;
        }

        return IsBoundary(name, end) ? 0 : 1;
    }

    /// <summary>Whether a word of letters and digits begins or ends at <paramref name="at"/> (the ends of the name included).</summary>
    private static bool IsBoundary<T>(ReadOnlySpan<T> name, int at)
        where T : unmanaged =>
        at == 0 || at == name.Length || IsWordUnit(name[at - 1]) != IsWordUnit(name[at]);

    private static bool IsWordUnit<T>(T unit)
        where T : unmanaged =>
        typeof(T) == typeof(byte) ? char.IsAsciiLetterOrDigit((char)(byte)(object)unit) : NameTokenizer.IsWordChar((char)(object)unit);

    /// <summary>Where one word's folded characters (and bytes) are.</summary>
    private readonly record struct Word(Range Chars);
}
