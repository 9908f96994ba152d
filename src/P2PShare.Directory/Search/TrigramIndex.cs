using System.Runtime.CompilerServices;

namespace P2PShare.Directory.Search;

/// <summary>
/// Trigram → posting list of entry ids. Append-only: entries that go away stay in the lists
/// until the whole index is rebuilt (see <see cref="FileTable"/>), so readers must check that
/// an id they find is still alive.
/// </summary>
/// <remarks>
/// Registering a million names appends tens of millions of postings, one lookup each, so the
/// trigram → list map is a small open-addressing table (multiplicative hash, linear probing, at
/// most half full) rather than a <see cref="Dictionary{TKey, TValue}"/>: a lookup is a multiply,
/// a shift and usually one compare. The lists themselves sit in an array in order of creation,
/// so growing the table never moves them.
/// </remarks>
internal sealed class TrigramIndex
{
    // Key + 1 per slot (0 marks an empty slot; a key is at most 48 bits, so +1 cannot overflow).
    private ulong[] _keys = new ulong[1024];
    private int[] _listOfSlot = new int[1024];
    private PostingList[] _lists = new PostingList[512];
    private int _count;
    private int _shift = 64 - 10;

    // The bytes of every posting list's arrays, kept up to date by Add.
    private long _listBytes;

    public int TrigramCount => _count;

    /// <summary>Bytes of the posting lists' own arrays (what grows with every posting).</summary>
    public long ListBytes => _listBytes;

    /// <summary>
    /// Bytes held by the index: the lists' arrays and the tables that find them. Kept as it
    /// changes, so asking costs nothing (the registry checks its memory budget on every write).
    /// </summary>
    public long AllocatedBytes => _listBytes + (12L * _keys.Length) + ((long)Unsafe.SizeOf<PostingList>() * _lists.Length);

    public void Add(ulong key, int id)
    {
        var stored = key + 1;
        var slot = SlotOf(stored);
        if (_keys[slot] == stored)
        {
            _listBytes += _lists[_listOfSlot[slot]].Add(id);
            return;
        }

        // A new trigram.
        if (_count == _lists.Length)
        {
            Array.Resize(ref _lists, _lists.Length * 2);
        }

        _keys[slot] = stored;
        _listOfSlot[slot] = _count;
        _listBytes += _lists[_count].Add(id);
        _count++;
        if (_count * 2 > _keys.Length)
        {
            Grow();
        }
    }

    /// <summary>Whether some entry has been indexed under <paramref name="key"/>.</summary>
    public bool Contains(ulong key) => Find(key) >= 0;

    /// <summary>Number of entries indexed under <paramref name="key"/> (0 when none).</summary>
    public int CountOf(ulong key)
    {
        var list = Find(key);
        return list < 0 ? 0 : _lists[list].Count;
    }

    /// <summary>Opens the posting list of <paramref name="key"/> (an empty cursor when no entry has that trigram).</summary>
    public PostingCursor Open(ulong key)
    {
        var list = Find(key);
        return list < 0 ? default(PostingList).Open() : _lists[list].Open();
    }

    private int Slot(ulong stored) => (int)((stored * 0x9E3779B97F4A7C15UL) >> _shift);

    private int Find(ulong key)
    {
        var slot = SlotOf(key + 1);
        return _keys[slot] == 0 ? -1 : _listOfSlot[slot];
    }

    /// <summary>
    /// The slot that holds <paramref name="stored"/>, or else the empty slot where linear
    /// probing from its hash stops (where it would go): the one probe lookups, inserts and
    /// <see cref="Grow"/> share.
    /// </summary>
    private int SlotOf(ulong stored)
    {
        var mask = _keys.Length - 1;
        var slot = Slot(stored);
        while (_keys[slot] != stored && _keys[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }

        return slot;
    }

    private void Grow()
    {
        var oldKeys = _keys;
        var oldLists = _listOfSlot;
        _keys = new ulong[oldKeys.Length * 2];
        _listOfSlot = new int[oldKeys.Length * 2];
        _shift--;
        for (var i = 0; i < oldKeys.Length; i++)
        {
            if (oldKeys[i] == 0)
            {
                continue;
            }

            // Keys are unique, so the probe ends at an empty slot.
            var slot = SlotOf(oldKeys[i]);
            _keys[slot] = oldKeys[i];
            _listOfSlot[slot] = oldLists[i];
        }
    }
}
