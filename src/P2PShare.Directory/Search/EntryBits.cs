namespace P2PShare.Directory.Search;

/// <summary>
/// One bit per entry id, in chunks added as ids grow (nothing large is copied under the
/// registry's write lock; a chunk no set id falls in is never allocated): a fact about every
/// entry that a search tests for each of its matches (dead, sharing its content, holding a
/// common word), read from a few hundred kilobytes rather than from each match's record or
/// list. Bits only get set; a compaction builds a new table. Not thread-safe: the table's owner
/// locks around it.
/// </summary>
internal sealed class EntryBits
{
    private const int ChunkBits = 16;
    private const int ChunkIds = 1 << ChunkBits;
    private const int ChunkWords = ChunkIds / 64;

    private ulong[]?[] _chunks = [];

    public long AllocatedBytes { get; private set; }

    /// <summary>Whether the bit of <paramref name="id"/> is set (false for an id never set).</summary>
    public bool this[int id]
    {
        get
        {
            var chunk = id >> ChunkBits;
            return chunk < _chunks.Length && _chunks[chunk] is { } bits && (bits[(id & (ChunkIds - 1)) >> 6] & (1UL << (id & 63))) != 0;
        }
    }

    /// <summary>
    /// ORs the bits into <paramref name="target"/>, whose bit 0 stands for id
    /// <paramref name="firstId"/> (a multiple of 64).
    /// </summary>
    public void OrInto(Span<ulong> target, int firstId)
    {
        var at = 0;
        while (at < target.Length)
        {
            var id = firstId + (at * 64);
            var chunk = id >> ChunkBits;
            if (chunk >= _chunks.Length)
            {
                return;
            }

            var offset = (id & (ChunkIds - 1)) / 64;
            var take = Math.Min(ChunkWords - offset, target.Length - at);
            if (_chunks[chunk] is { } bits)
            {
                BitSpans.Or(target.Slice(at, take), bits.AsSpan(offset, take));
            }

            at += take;
        }
    }

    public void Set(int id)
    {
        var chunk = id >> ChunkBits;
        if (chunk >= _chunks.Length)
        {
            var grown = Math.Max(chunk + 1, _chunks.Length * 2);
            AllocatedBytes += 8L * (grown - _chunks.Length);
            Array.Resize(ref _chunks, grown);
        }

        if (_chunks[chunk] is not { } bits)
        {
            _chunks[chunk] = bits = new ulong[ChunkWords];
            AllocatedBytes += ChunkIds / 8;
        }

        bits[(id & (ChunkIds - 1)) >> 6] |= 1UL << (id & 63);
    }
}
