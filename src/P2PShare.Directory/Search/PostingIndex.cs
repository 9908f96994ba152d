using System.Runtime.CompilerServices;

namespace P2PShare.Directory.Search;

/// <summary>
/// Key → posting list of ids, the lists numbered in order of creation. Used twice by a
/// <see cref="FileTable"/>: word key → entry ids (see <see cref="NameTokenizer"/>) and, in its
/// <see cref="TokenDictionary"/>, two- and three-letter piece → word numbers. Append-only:
/// entries that go away stay in the lists until the whole table is rebuilt, so readers must
/// check that an id they find is still alive.
/// </summary>
/// <remarks>
/// <para>
/// Registering a million names appends millions of postings, one lookup each, so the
/// key → list map is open addressing (multiplicative hash, linear probing, at most half
/// full) rather than a <see cref="Dictionary{TKey, TValue}"/>: a lookup is a multiply, a few
/// shifts and usually one compare.
/// </para>
/// <para>
/// Nothing grows in one piece, because everything grows under the registry's write lock: the
/// map is cut into <see cref="Segments"/> tables by the top bits of the hash, each doubled on its
/// own, and the lists sit in fixed-size chunks in order of creation. One table of a few million
/// keys (what names in a script nobody shared before bring) took a second to rehash, and
/// the array of lists a copy of a hundred megabytes, while every search waited.
/// </para>
/// </remarks>
internal sealed class PostingIndex
{
    private const int SegmentBits = 8;
    private const int Segments = 1 << SegmentBits;
    private const int FirstSegmentSlots = 16;

    // Lists per chunk: 2,048 × 32 bytes stays below the large object heap's threshold.
    private const int ChunkBits = 11;
    private const int ChunkSize = 1 << ChunkBits;

    private readonly Segment[] _segments = new Segment[Segments];
    private PostingList[][] _chunks = new PostingList[16][];
    private int _count;
    private long _tableBytes;

    // The bytes of every posting list's arrays, kept up to date by Add.
    private long _listBytes;

    public PostingIndex()
    {
        for (var i = 0; i < Segments; i++)
        {
            _segments[i] = new Segment(FirstSegmentSlots);
        }

        _tableBytes = (long)Segments * FirstSegmentSlots * SlotBytes;
    }

    public int KeyCount => _count;

    /// <summary>Bytes of the posting lists' own arrays (what grows with every posting).</summary>
    public long ListBytes => _listBytes;

    /// <summary>
    /// Bytes held by the index: the lists' arrays and the tables that find them. Kept as it
    /// changes, so asking costs nothing (the registry checks its memory budget on every write).
    /// </summary>
    public long AllocatedBytes => _listBytes + _tableBytes + (8L * _chunks.Length) + ((long)ChunkBytes * ChunkCount);

    private static int SlotBytes => sizeof(ulong) + sizeof(int);

    private static int ChunkBytes => ChunkSize * Unsafe.SizeOf<PostingList>();

    private int ChunkCount => (_count + ChunkSize - 1) >> ChunkBits;

    /// <summary>Appends <paramref name="id"/> to the list of <paramref name="key"/> (created when new); returns the list's number.</summary>
    public int Add(ulong key, int id)
    {
        var stored = key + 1;
        var hash = Hash(stored);
        var segment = _segments[SegmentOf(hash)];
        var slot = segment.SlotOf(stored, hash);
        if (segment.Keys[slot] == stored)
        {
            var existing = segment.Lists[slot];
            _listBytes += List(existing).Add(id);
            return existing;
        }

        // A new trigram.
        var list = _count;
        if ((list & (ChunkSize - 1)) == 0)
        {
            AddChunk();
        }

        segment.Keys[slot] = stored;
        segment.Lists[slot] = list;
        _listBytes += List(list).Add(id);
        _count++;
        if (++segment.Count * 2 > segment.Keys.Length)
        {
            _tableBytes += (long)segment.Keys.Length * SlotBytes;
            segment.Grow();
        }

        return list;
    }

    /// <summary>Appends <paramref name="id"/> to list number <paramref name="list"/>.</summary>
    public void AddTo(int list, int id) => _listBytes += List(list).Add(id);

    /// <summary>The number of the list of <paramref name="key"/>, or -1 when there is none.</summary>
    public int ListOf(ulong key) => Find(key);

    /// <summary>Ids in list number <paramref name="list"/>.</summary>
    public int CountOfList(int list) => List(list).Count;

    /// <summary>Opens list number <paramref name="list"/>.</summary>
    public PostingCursor OpenList(int list) => List(list).Open();

    /// <summary>Whether some id has been indexed under <paramref name="key"/>.</summary>
    public bool Contains(ulong key) => Find(key) >= 0;

    /// <summary>Number of ids indexed under <paramref name="key"/> (0 when none).</summary>
    public int CountOf(ulong key)
    {
        var list = Find(key);
        return list < 0 ? 0 : List(list).Count;
    }

    /// <summary>Opens the posting list of <paramref name="key"/> (an empty cursor when there is none).</summary>
    public PostingCursor Open(ulong key)
    {
        var list = Find(key);
        return list < 0 ? default(PostingList).Open() : List(list).Open();
    }

    private static ulong Hash(ulong stored) => stored * 0x9E3779B97F4A7C15UL;

    private static int SegmentOf(ulong hash) => (int)(hash >> (64 - SegmentBits));

    private ref PostingList List(int list) => ref _chunks[list >> ChunkBits][list & (ChunkSize - 1)];

    private void AddChunk()
    {
        var chunk = _count >> ChunkBits;
        if (chunk == _chunks.Length)
        {
            Array.Resize(ref _chunks, _chunks.Length * 2);
        }

        _chunks[chunk] = new PostingList[ChunkSize];
    }

    private int Find(ulong key)
    {
        var stored = key + 1;
        var hash = Hash(stored);
        var segment = _segments[SegmentOf(hash)];
        var slot = segment.SlotOf(stored, hash);
        return segment.Keys[slot] == 0 ? -1 : segment.Lists[slot];
    }

    /// <summary>One table of the map: the trigrams whose hash begins with its number.</summary>
    private sealed class Segment(int slots)
    {
        // Key + 1 per slot (0 marks an empty slot; keys are below 2^63, so +1 cannot overflow).
        public ulong[] Keys { get; private set; } = new ulong[slots];

        public int[] Lists { get; private set; } = new int[slots];

        public int Count { get; set; }

        // 64 − log2(slots): what a hash (its segment bits shifted out) is shifted right by to give its slot.
        private int _shift = 64 - System.Numerics.BitOperations.Log2((uint)slots);

        /// <summary>
        /// The slot that holds <paramref name="stored"/>, or else the empty slot where linear
        /// probing from its hash stops (where it would go): the one probe lookups, inserts and
        /// <see cref="Grow"/> share. The slot comes from the hash bits below the segment's.
        /// </summary>
        public int SlotOf(ulong stored, ulong hash)
        {
            var keys = Keys;
            var mask = keys.Length - 1;
            var slot = (int)((hash << SegmentBits) >> _shift);
            while (keys[slot] != stored && keys[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            return slot;
        }

        public void Grow()
        {
            var oldKeys = Keys;
            var oldLists = Lists;
            Keys = new ulong[oldKeys.Length * 2];
            Lists = new int[oldKeys.Length * 2];
            _shift--;
            for (var i = 0; i < oldKeys.Length; i++)
            {
                if (oldKeys[i] == 0)
                {
                    continue;
                }

                // Keys are unique, so the probe ends at an empty slot.
                var slot = SlotOf(oldKeys[i], Hash(oldKeys[i]));
                Keys[slot] = oldKeys[i];
                Lists[slot] = oldLists[i];
            }
        }
    }
}
