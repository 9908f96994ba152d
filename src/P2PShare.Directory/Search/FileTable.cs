using System.Buffers;
using System.Text;
using P2PShare.Protocol;

namespace P2PShare.Directory.Search;

/// <summary>
/// Every registered file entry, by id, with an index of the names by their words (word key →
/// entry ids, and the <see cref="TokenDictionary"/> of the words) and an index by content id
/// (<see cref="ContentIdIndex"/>, for LOCATE and for ranking by sources). Ids are handed out
/// in increasing order and never reused, so id order is the order in which entries were added
/// (what search results follow). Removing an entry only marks it dead; its name bytes and
/// postings and its place among the entries of its content id stay until a
/// <see cref="TableCompaction"/> builds a compacted table (new ids, same order, both indexes
/// built afresh by <see cref="Append"/>). Not thread-safe: <see cref="InMemoryPeerRegistry"/> locks around it.
/// </summary>
internal sealed class FileTable
{
    private readonly NameArena _names = new();
    private readonly PostingIndex _entriesByWord = new();
    private readonly TokenDictionary _words = new();
    private readonly DenseWordBits _denseWords = new();

    // Dead entries, and entries whose content other entries have too (a ring of two or more):
    // a broad search tests both for each of its matches, and most matches are alone with
    // their content, so most need no read of their record.
    private readonly EntryBits _dead = new();
    private readonly EntryBits _shared = new();
    // Records in chunks of RecordChunkSize (57 KB each, below the large object heap's threshold):
    // the table grows without ever copying a large array under the registry's write lock.
    private const int RecordChunkBits = 10;
    private const int RecordChunkSize = 1 << RecordChunkBits;

    private FileRecord[][] _records = new FileRecord[16][];
    private readonly ContentIdIndex _ids;
    private readonly PeerContentCounts _peerContents;
    private int _count;
    private int _live;

    public FileTable(int capacity = 1024)
    {
        _records = new FileRecord[Math.Max((capacity + RecordChunkSize - 1) >> RecordChunkBits, 16)][];
        _ids = new ContentIdIndex(this, capacity);
        _peerContents = new PeerContentCounts(capacity);
    }

    /// <summary>Ids handed out so far: live and dead entries.</summary>
    public int Count => _count;

    public int LiveCount => _live;

    public int DeadCount => _count - _live;

    /// <summary>Word key → entry ids; list number n is word number n of <see cref="Words"/>.</summary>
    public PostingIndex EntriesByWord => _entriesByWord;

    public TokenDictionary Words => _words;

    /// <summary>Bits of the words found in a large share of the names (shared by everyone: not charged to a registration).</summary>
    public DenseWordBits DenseWords => _denseWords;

    public ref readonly FileRecord this[int id] => ref _records[id >> RecordChunkBits][id & (RecordChunkSize - 1)];

    /// <summary>Bytes of the table's arrays: records, names and postings (what the memory budget counts).</summary>
    public long AllocatedBytes =>
        (8L * _records.Length) + ((long)((_count + RecordChunkSize - 1) >> RecordChunkBits) * RecordChunkSize * System.Runtime.CompilerServices.Unsafe.SizeOf<FileRecord>()) + _names.AllocatedBytes + _entriesByWord.AllocatedBytes + _words.AllocatedBytes + _denseWords.AllocatedBytes + _ids.AllocatedBytes + _peerContents.AllocatedBytes + _dead.AllocatedBytes + _shared.AllocatedBytes;

    /// <summary>
    /// What the indexes by word grow by with each posting (their lists' bytes and the words'
    /// characters); tables and chunks grow in steps and are charged per new word instead (see
    /// <see cref="InMemoryPeerRegistry"/>).
    /// </summary>
    public long WordListBytes => _entriesByWord.ListBytes + _words.PieceListBytes + (sizeof(char) * _words.CharCount);

    /// <summary>
    /// Whether entry <paramref name="id"/> is alive and not of peer slot
    /// <paramref name="excludedPeer"/> (-1: anyone's); the record is read only when a peer is left out.
    /// </summary>
    public bool IsLiveFor(int id, int excludedPeer)
    {
        if (excludedPeer < 0)
        {
            return !_dead[id];
        }

        ref readonly var record = ref this[id];
        return record.IsAlive && record.Peer != excludedPeer;
    }

    public ReadOnlySpan<byte> Name(int id)
    {
        ref readonly var record = ref this[id];
        return _names.Get(record.NameReference, record.NameLength);
    }

    /// <summary>Adds an entry whose name has the given words (see <see cref="NameTokenizer"/>); returns its id.</summary>
    public int Append(ReadOnlySpan<byte> utf8Name, NameTokens words, ulong size, in ContentId contentId, int peer)
    {
        if (utf8Name.Length > ushort.MaxValue)
        {
            throw new ArgumentException($"a file name of {utf8Name.Length} bytes is longer than a protocol string can be", nameof(utf8Name));
        }

        var id = _count;
        var chunk = id >> RecordChunkBits;
        if ((id & (RecordChunkSize - 1)) == 0)
        {
            if (chunk == _records.Length)
            {
                Array.Resize(ref _records, _records.Length * 2);
            }

            _records[chunk] = new FileRecord[RecordChunkSize];
        }

        ref var record = ref _records[chunk][id & (RecordChunkSize - 1)];
        record.Id = contentId;
        record.Size = size;
        record.NameReference = _names.Append(utf8Name);
        record.NameLength = (ushort)utf8Name.Length;
        record.IsAscii = System.Text.Ascii.IsValid(utf8Name);
        record.Peer = peer;
        // A ring of one, then spliced in after the newest entry with this content id.
        record.NextSameId = id;
        _count++;
        var newest = _ids.SetNewest(id);
        _live++;
        if (newest < 0)
        {
            // Alone with its content, as most entries are: one source, and no count of the
            // peer's entries of it kept (a ring of one tells it).
            _ids.CountSources(contentId, +1);
        }
        else
        {
            ref var previous = ref _records[newest >> RecordChunkBits][newest & (RecordChunkSize - 1)];
            if (previous.NextSameId == newest && previous.IsAlive)
            {
                // The ring of one becomes two: its entry's count starts now.
                _peerContents.Increment(previous.Peer, newest);
            }

            record.NextSameId = previous.NextSameId;
            previous.NextSameId = id;
            _shared.Set(newest);
            _shared.Set(id);

            // The content gains a source when this is the peer's first live entry of it. The
            // new entry is the newest, so the one after it in the ring is the oldest.
            if (_peerContents.Increment(peer, record.NextSameId) == 1)
            {
                _ids.CountSources(contentId, +1);
            }
        }

        for (var i = 0; i < words.Count; i++)
        {
            IndexWord(words.Word(i), words.Keys[i], id);
        }

        return id;
    }

    /// <summary>
    /// The newest entry (live or dead) with content id <paramref name="contentId"/>, or -1 when
    /// none has it. Its <see cref="FileRecord.NextSameId"/> is the oldest; following
    /// <see cref="FileRecord.NextSameId"/> from there visits them all in id order and comes back
    /// to this one.
    /// </summary>
    public int NewestWithId(in ContentId contentId) => _ids.Newest(contentId);

    /// <summary>
    /// Peers with a live entry of the content of entry <paramref name="id"/> (a live one): what
    /// ranks a search's matches by sources. An entry alone in its ring is its content's one
    /// source, found without a lookup.
    /// </summary>
    public int SourcesOf(int id)
    {
        return _shared[id] ? _ids.SourceCount(this[id].Id) : 1;
    }

    public void Kill(int id)
    {
        ref var record = ref _records[id >> RecordChunkBits][id & (RecordChunkSize - 1)];
        if (record.IsAlive)
        {
            var peer = record.Peer;
            record.Peer = FileRecord.Dead;
            _dead.Set(id);
            _live--;
            // Alone in its ring, its peer's count was never kept: it was the content's one source.
            if (record.NextSameId == id || _peerContents.Decrement(peer, this[_ids.Newest(record.Id)].NextSameId) == 0)
            {
                _ids.CountSources(record.Id, -1);
            }
        }
    }

    /// <summary>
    /// Adds entry <paramref name="id"/> to the list of a word of its name. Words are told apart
    /// by text, not by key: a word whose key another word has already takes the next key, so
    /// every list holds the entries of exactly one word, whatever names were chosen to collide.
    /// </summary>
    private void IndexWord(ReadOnlySpan<char> word, ulong key, int id)
    {
        while (true)
        {
            var list = _entriesByWord.ListOf(key);
            if (list < 0)
            {
                var created = _entriesByWord.Add(key, id);
                var number = _words.Add(word);
                System.Diagnostics.Debug.Assert(created == number, "entry lists and words are numbered alike");
                return;
            }

            if (_words.Text(list).SequenceEqual(word))
            {
                _entriesByWord.AddTo(list, id);
                _denseWords.Added(list, _entriesByWord.CountOfList(list), id, _count, _entriesByWord);
                return;
            }

            key = NameTokenizer.NextKey(key);
        }
    }

    /// <summary>Decodes a name into <paramref name="stack"/>, or into a rented array when it does not fit.</summary>
    public static Span<char> Decode(ReadOnlySpan<byte> utf8, Span<char> stack, ref char[]? rented)
    {
        var buffer = stack;
        if (utf8.Length > stack.Length)
        {
            if (rented is null || rented.Length < utf8.Length)
            {
                if (rented is not null)
                {
                    ArrayPool<char>.Shared.Return(rented);
                }

                rented = ArrayPool<char>.Shared.Rent(utf8.Length);
            }

            buffer = rented;
        }

        var length = Encoding.UTF8.GetChars(utf8, buffer);
        return buffer[..length];
    }
}
