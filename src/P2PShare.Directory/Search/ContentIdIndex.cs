using P2PShare.Protocol;

namespace P2PShare.Directory.Search;

/// <summary>
/// The entries of a <see cref="FileTable"/> by content id, for LOCATE: an open-addressing table
/// (linear probing, at most three quarters full) of entry ids, one slot per distinct content id
/// holding its newest entry and how many peers have a live entry of it (its sources, what
/// ranks search results; <see cref="PeerContentCounts"/> tells when a peer's first comes or its
/// last goes); the entries with one id form a ring through
/// <see cref="FileRecord.NextSameId"/>, which the table keeps. So the index costs 8 bytes per
/// slot, 10.7 to 21.3 per distinct id, and nothing per entry (the ring's link sits in the record's
/// padding). Nothing is ever taken out: a dead entry stays in its ring and an id whose entries
/// all died keeps its slot until a compaction builds a new table. The hash is the id's
/// <see cref="ContentId.GetHashCode"/>, seeded per process, so registered ids chosen to collide
/// cannot be prepared in advance. Not thread-safe: the table's owner locks around it.
/// </summary>
internal sealed class ContentIdIndex
{
    private const int Empty = -1;
    private const int MinSlots = 16;

    private readonly FileTable _table;
    private int[] _slots;
    private int[] _sources;
    private int _used;

    /// <param name="table">The table whose entries are indexed (their ids and ring links live there).</param>
    /// <param name="capacity">Entries the table expects: the slots start with room for that many distinct ids.</param>
    public ContentIdIndex(FileTable table, int capacity)
    {
        _table = table;
        _slots = NewSlots(SlotsFor(Math.Max(capacity, 1)));
        _sources = new int[_slots.Length];
    }

    /// <summary>Distinct content ids indexed (those whose entries all died included).</summary>
    public int Count => _used;

    public long AllocatedBytes => 8L * _slots.Length;

    /// <summary>The newest entry with <paramref name="id"/>, or -1.</summary>
    public int Newest(in ContentId id) => _slots[SlotOf(id)];

    /// <summary>Peers with a live entry of <paramref name="id"/>.</summary>
    public int SourceCount(in ContentId id) => _sources[SlotOf(id)];

    /// <summary>Adds <paramref name="delta"/> to the sources of <paramref name="id"/> (which has an entry).</summary>
    public void CountSources(in ContentId id, int delta) => _sources[SlotOf(id)] += delta;

    /// <summary>The slot of <paramref name="id"/>, or the empty slot where its probe ends.</summary>
    private int SlotOf(in ContentId id)
    {
        var mask = _slots.Length - 1;
        for (var slot = id.GetHashCode() & mask; ; slot = (slot + 1) & mask)
        {
            var entry = _slots[slot];
            if (entry == Empty || _table[entry].Id == id)
            {
                return slot;
            }
        }
    }

    /// <summary>
    /// Makes <paramref name="entry"/> (already in the table) the newest with its content id;
    /// returns the entry that was the newest before, or -1 when the id is new.
    /// </summary>
    public int SetNewest(int entry)
    {
        if ((long)(_used + 1) * 4 > (long)_slots.Length * 3)
        {
            Grow();
        }

        ref readonly var id = ref _table[entry].Id;
        var mask = _slots.Length - 1;
        for (var slot = id.GetHashCode() & mask; ; slot = (slot + 1) & mask)
        {
            var current = _slots[slot];
            if (current == Empty)
            {
                _slots[slot] = entry;
                _used++;
                return Empty;
            }

            if (_table[current].Id == id)
            {
                _slots[slot] = entry;
                return current;
            }
        }
    }

    private static int SlotsFor(int ids) => (int)Math.Max(MinSlots, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)((ids * 4L / 3) + 1)));

    private static int[] NewSlots(int length)
    {
        var slots = new int[length];
        slots.AsSpan().Fill(Empty);
        return slots;
    }

    /// <summary>Doubles the slots: rare, since a table starts with room for the entries it expects (a compaction's copy, for all of them).</summary>
    private void Grow()
    {
        var old = _slots;
        var oldSources = _sources;
        _slots = NewSlots(old.Length * 2);
        _sources = new int[_slots.Length];
        var mask = _slots.Length - 1;
        for (var i = 0; i < old.Length; i++)
        {
            var entry = old[i];
            if (entry == Empty)
            {
                continue;
            }

            var slot = _table[entry].Id.GetHashCode() & mask;
            while (_slots[slot] != Empty)
            {
                slot = (slot + 1) & mask;
            }

            _slots[slot] = entry;
            _sources[slot] = oldSources[i];
        }
    }
}
