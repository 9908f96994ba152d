namespace P2PShare.Directory.Search;

/// <summary>
/// A bit per entry id for each word found in a large share of the names (a year, a file type,
/// "report"), beside its posting list: a broad query joins such words a machine word of 64
/// ids at a time instead of decoding hundreds of thousands of postings. A word gets its bits
/// once its list holds at least <see cref="MinEntries"/> entries and one in
/// <see cref="Fraction"/> of the ids handed out, so the bits never take more than
/// <see cref="Fraction"/> / 8 bytes per posting of the lists they stand beside. Each word's bits
/// are an <see cref="EntryBits"/> (in chunks added as ids grow). Append-only like the lists: dead entries keep their bits, and
/// readers check what they find. Not thread-safe: the table's owner locks around it.
/// </summary>
internal sealed class DenseWordBits
{
    /// <summary>Fewest entries a word needs to get bits.</summary>
    public const int MinEntries = 4096;

    /// <summary>A word gets bits once at least one id in this many is in its list.</summary>
    public const int Fraction = 64;

    private readonly Dictionary<int, EntryBits> _byWord = [];
    private long _bytes;

    public long AllocatedBytes => _bytes;

    public int Count => _byWord.Count;

    /// <summary>Whether word <paramref name="word"/> (with <paramref name="entries"/> entries) has bits.</summary>
    public bool Has(int word, int entries) => entries >= MinEntries && _byWord.ContainsKey(word);

    /// <summary>
    /// Called after id <paramref name="id"/> joined the list of word <paramref name="word"/>
    /// (now <paramref name="entries"/> long) of a table of <paramref name="ids"/> ids: sets its
    /// bit, or gives the word bits (from its whole list) when it has just become common enough.
    /// </summary>
    public void Added(int word, int entries, int id, int ids, PostingIndex lists)
    {
        if (entries < MinEntries)
        {
            return;
        }

        if (_byWord.TryGetValue(word, out var bits))
        {
            Set(bits, id);
            return;
        }

        if ((long)entries * Fraction < ids)
        {
            return;
        }

        bits = new EntryBits();
        var list = lists.OpenList(word);
        while (list.MoveNext())
        {
            Set(bits, list.Current);
        }

        _byWord[word] = bits;
    }

    /// <summary>
    /// ORs the bits of word <paramref name="word"/> (which has bits) into <paramref name="target"/>,
    /// whose bit 0 stands for id <paramref name="firstId"/> (a multiple of 64).
    /// </summary>
    public void OrInto(int word, Span<ulong> target, int firstId) => _byWord[word].OrInto(target, firstId);

    /// <summary>
    /// For each of <paramref name="ids"/> whose entry in <paramref name="best"/> is above
    /// <paramref name="place"/> and which is in the list of word <paramref name="word"/> (which
    /// has bits), sets that entry to <paramref name="place"/>: a bit test per id, for a search
    /// that has a few candidates and a common word to check them against.
    /// </summary>
    public void Probe(int word, ReadOnlySpan<int> ids, Span<byte> best, byte place)
    {
        var bits = _byWord[word];
        for (var i = 0; i < ids.Length; i++)
        {
            if (best[i] > place && bits[ids[i]])
            {
                best[i] = place;
            }
        }
    }

    private void Set(EntryBits bits, int id)
    {
        var before = bits.AllocatedBytes;
        bits.Set(id);
        _bytes += bits.AllocatedBytes - before;
    }
}
