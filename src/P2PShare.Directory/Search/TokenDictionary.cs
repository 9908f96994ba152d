namespace P2PShare.Directory.Search;

/// <summary>
/// Every distinct word (see <see cref="NameTokenizer"/>) a <see cref="FileTable"/> has seen, by
/// number, with its folded text, and an index of the words by their two- and three-character
/// pieces: the way from a query word to the words that contain it. A catalog of a million names
/// has far fewer distinct words than names, so looking for a piece here costs a fraction of
/// what looking for it among the names would. Append-only; numbers are given in increasing
/// order, the same numbers as the entry lists of the table's <see cref="PostingIndex"/>. Not
/// thread-safe: the table's owner locks around it.
/// </summary>
internal sealed class TokenDictionary
{
    // Characters in chunks of 256 K (512 KB each); a word's reference is chunk << 18 | offset.
    private const int CharChunkBits = 18;
    private const int CharChunkSize = 1 << CharChunkBits;

    // Per-word references in chunks of 8 K (64 KB each, below the large object heap's threshold).
    private const int WordChunkBits = 13;
    private const int WordChunkSize = 1 << WordChunkBits;

    // A piece of two characters keys above every three-character one (48 bits).
    private const ulong PairTag = 1UL << 48;

    private readonly List<char[]> _charChunks = [];
    private int _charsUsed = CharChunkSize;
    private long[][] _words = new long[16][];
    private int _count;
    private readonly PostingIndex _pieces = new();

    public int Count => _count;

    /// <summary>Characters of all the words together.</summary>
    public long CharCount { get; private set; }

    /// <summary>Bytes of the piece index's lists (what grows with every new word, besides its characters).</summary>
    public long PieceListBytes => _pieces.ListBytes;

    /// <summary>Distinct pieces indexed.</summary>
    public int PieceCount => _pieces.KeyCount;

    /// <summary>
    /// How many pieces of <paramref name="folded"/> the index has never seen and
    /// <paramref name="seen"/> had not marked yet (each then marked): what a new word costs
    /// besides its characters, for the registry's estimate.
    /// </summary>
    public int CountNewPieces(ReadOnlySpan<char> folded, NewTokenBits seen)
    {
        var count = 0;
        for (var i = 0; i + 1 < folded.Length; i++)
        {
            var pair = PairKey(folded[i], folded[i + 1]);
            if (!_pieces.Contains(pair) && seen.TrySet(pair))
            {
                count++;
            }

            if (i + 2 < folded.Length)
            {
                var trigram = Trigrams.Key(folded[i], folded[i + 1], folded[i + 2]);
                if (!_pieces.Contains(trigram) && seen.TrySet(trigram))
                {
                    count++;
                }
            }
        }

        return count;
    }

    public long AllocatedBytes => ((long)_charChunks.Count * CharChunkSize * sizeof(char)) + (8L * _words.Length) + ((long)((_count + WordChunkSize - 1) >> WordChunkBits) * WordChunkSize * sizeof(long)) + _pieces.AllocatedBytes;

    /// <summary>The folded text of word number <paramref name="word"/>.</summary>
    public ReadOnlySpan<char> Text(int word)
    {
        var reference = _words[word >> WordChunkBits][word & (WordChunkSize - 1)];
        var at = (int)(reference >> 16);
        return _charChunks[at >> CharChunkBits].AsSpan(at & (CharChunkSize - 1), (int)(reference & 0xFFFF));
    }

    /// <summary>Adds a word (folded, not known yet); returns its number.</summary>
    public int Add(ReadOnlySpan<char> folded)
    {
        if (folded.Length > CharChunkSize || folded.Length > ushort.MaxValue)
        {
            throw new ArgumentException($"a word of {folded.Length} characters is longer than the dictionary takes", nameof(folded));
        }

        if (folded.Length > CharChunkSize - _charsUsed)
        {
            _charChunks.Add(new char[CharChunkSize]);
            _charsUsed = 0;
        }

        var at = ((_charChunks.Count - 1) << CharChunkBits) | _charsUsed;
        folded.CopyTo(_charChunks[^1].AsSpan(_charsUsed));
        _charsUsed += folded.Length;
        CharCount += folded.Length;

        var word = _count;
        var chunk = word >> WordChunkBits;
        if ((word & (WordChunkSize - 1)) == 0)
        {
            if (chunk == _words.Length)
            {
                Array.Resize(ref _words, _words.Length * 2);
            }

            _words[chunk] = new long[WordChunkSize];
        }

        _words[chunk][word & (WordChunkSize - 1)] = ((long)at << 16) | (long)folded.Length;
        _count++;
        for (var i = 0; i + 1 < folded.Length; i++)
        {
            _pieces.Add(PairKey(folded[i], folded[i + 1]), word);
            if (i + 2 < folded.Length)
            {
                _pieces.Add(Trigrams.Key(folded[i], folded[i + 1], folded[i + 2]), word);
            }
        }

        return word;
    }

    /// <summary>
    /// At most how many words contain <paramref name="part"/> (folded, letters and digits, at
    /// least two characters): the length of its rarest piece's list. Costs a lookup per piece,
    /// where <see cref="FindContaining"/> costs a step per word of that list.
    /// </summary>
    public int MostWordsContaining(ReadOnlySpan<char> part)
    {
        if (part.Length == 2)
        {
            return _pieces.CountOf(PairKey(part[0], part[1]));
        }

        var fewest = int.MaxValue;
        for (var i = 0; i + 2 < part.Length; i++)
        {
            fewest = Math.Min(fewest, _pieces.CountOf(Trigrams.Key(part[i], part[i + 1], part[i + 2])));
        }

        return fewest;
    }

    /// <summary>
    /// Appends to <paramref name="words"/> (in increasing order) the numbers of the words that
    /// contain <paramref name="part"/> (folded, letters and digits, at least two characters).
    /// Each word number read from the index costs one unit of <paramref name="work"/>. Keeps no
    /// state: searches run side by side under the read lock.
    /// </summary>
    public void FindContaining(ReadOnlySpan<char> part, List<int> words, ref int work)
    {
        if (part.Length == 2)
        {
            // A pair's list is exactly the words that contain it.
            var pairs = _pieces.Open(PairKey(part[0], part[1]));
            while (pairs.MoveNext())
            {
                words.Add(pairs.Current);
            }

            work -= pairs.Count;
            return;
        }

        // The rarest three-character piece leads; the next two rarest narrow; the text decides.
        var lead = default(PostingCursor);
        var second = default(PostingCursor);
        var third = default(PostingCursor);
        var leadCount = int.MaxValue;
        var secondCount = int.MaxValue;
        var thirdCount = int.MaxValue;
        for (var i = 0; i + 2 < part.Length; i++)
        {
            // A piece the part repeats may take two of the three places: it narrows nothing, and is rare.
            var cursor = _pieces.Open(Trigrams.Key(part[i], part[i + 1], part[i + 2]));
            var count = cursor.Count;
            if (count == 0)
            {
                return;
            }

            if (count < leadCount)
            {
                (third, thirdCount) = (second, secondCount);
                (second, secondCount) = (lead, leadCount);
                (lead, leadCount) = (cursor, count);
            }
            else if (count < secondCount)
            {
                (third, thirdCount) = (second, secondCount);
                (second, secondCount) = (cursor, count);
            }
            else if (count < thirdCount)
            {
                (third, thirdCount) = (cursor, count);
            }
        }

        var narrowBySecond = secondCount != int.MaxValue;
        var narrowByThird = thirdCount != int.MaxValue;
        while (lead.MoveNext())
        {
            work--;
            var word = lead.Current;
            if ((narrowBySecond && (!second.AdvanceTo(word) || second.Current != word))
                || (narrowByThird && (!third.AdvanceTo(word) || third.Current != word)))
            {
                if (second.Current == int.MaxValue || third.Current == int.MaxValue)
                {
                    break;
                }

                continue;
            }

            if (part.Length == 3 || Text(word).Contains(part, StringComparison.Ordinal))
            {
                words.Add(word);
            }
        }
    }

    private static ulong PairKey(char a, char b) => PairTag | ((ulong)a << 16) | b;
}
