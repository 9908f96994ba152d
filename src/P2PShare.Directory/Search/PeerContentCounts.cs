namespace P2PShare.Directory.Search;

/// <summary>
/// How many live entries each peer has of each content, so that a content's sources can count
/// peers rather than entries: a peer that registers one content under a thousand names is one
/// source, not a thousand. Only contents with more than one entry are counted (one alone is
/// one source, which its ring of one tells). Keyed by the peer slot and the content's oldest entry in the
/// <see cref="FileTable"/> (which stays the same for as long as the table lives, since entries
/// only die, never leave their ring). An open-addressing table of 12 bytes a slot (linear
/// probing, at most three quarters full, deletions shifting the probe back so no tombstones
/// pile up), hashed with a per-process seed. Not thread-safe: the table's owner locks around it.
/// </summary>
internal sealed class PeerContentCounts
{
    private const int MinSlots = 16;

    private static readonly ulong Seed = (ulong)Random.Shared.NextInt64() | 1;

    private long[] _keys;
    private int[] _counts;
    private int _used;

    /// <param name="capacity">Pairs expected: the slots start with room for that many.</param>
    public PeerContentCounts(int capacity)
    {
        _keys = new long[SlotsFor(Math.Max(capacity, 1))];
        _counts = new int[_keys.Length];
    }

    /// <summary>Peer and content pairs with at least one live entry.</summary>
    public int Count => _used;

    public long AllocatedBytes => 12L * _keys.Length;

    /// <summary>Counts one more live entry of <paramref name="peer"/> with the content whose oldest entry is <paramref name="oldestEntry"/>; returns the new count.</summary>
    public int Increment(int peer, int oldestEntry)
    {
        if ((long)(_used + 1) * 4 > (long)_keys.Length * 3)
        {
            Grow();
        }

        var key = KeyOf(peer, oldestEntry);
        var slot = Find(key);
        if (_counts[slot] == 0)
        {
            _keys[slot] = key;
            _used++;
        }

        return ++_counts[slot];
    }

    /// <summary>Counts one live entry fewer (there was one); returns the new count, and forgets the pair at 0.</summary>
    public int Decrement(int peer, int oldestEntry)
    {
        var slot = Find(KeyOf(peer, oldestEntry));
        if (_counts[slot] == 0)
        {
            throw new InvalidOperationException("no live entry of this peer with this content was counted");
        }

        var left = --_counts[slot];
        if (left == 0)
        {
            _used--;
            RemoveAt(slot);
        }

        return left;
    }

    // A slot is empty when its count is 0, whatever its key.
    private static long KeyOf(int peer, int oldestEntry) => ((long)peer << 32) | (uint)oldestEntry;

    private int Home(long key) => (int)(((ulong)key * Seed * 0x9E3779B97F4A7C15UL) >> 32) & (_keys.Length - 1);

    /// <summary>The slot holding <paramref name="key"/>, or the empty slot where its probe ends.</summary>
    private int Find(long key)
    {
        var mask = _keys.Length - 1;
        for (var slot = Home(key); ; slot = (slot + 1) & mask)
        {
            if (_counts[slot] == 0 || _keys[slot] == key)
            {
                return slot;
            }
        }
    }

    /// <summary>Empties <paramref name="slot"/> and moves back the entries after it whose probe passed it.</summary>
    private void RemoveAt(int slot)
    {
        var mask = _keys.Length - 1;
        var hole = slot;
        for (var next = (hole + 1) & mask; _counts[next] != 0; next = (next + 1) & mask)
        {
            var home = Home(_keys[next]);
            // The entry at next may fill the hole when its home is not cyclically in (hole, next].
            if (((next - home) & mask) >= ((next - hole) & mask))
            {
                _keys[hole] = _keys[next];
                _counts[hole] = _counts[next];
                hole = next;
            }
        }

        _counts[hole] = 0;
        _keys[hole] = 0;
    }

    private void Grow()
    {
        var keys = _keys;
        var counts = _counts;
        _keys = new long[keys.Length * 2];
        _counts = new int[_keys.Length];
        var mask = _keys.Length - 1;
        for (var i = 0; i < keys.Length; i++)
        {
            if (counts[i] == 0)
            {
                continue;
            }

            var slot = Home(keys[i]);
            while (_counts[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            _keys[slot] = keys[i];
            _counts[slot] = counts[i];
        }
    }

    private static int SlotsFor(int pairs) => (int)Math.Max(MinSlots, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)((pairs * 4L / 3) + 1)));
}
