namespace P2PShare.Directory.Search;

/// <summary>
/// The ids of the entries indexed under one trigram, in increasing order, compressed: ids are
/// appended in increasing order (ids are handed out in increasing order), stored as LEB128
/// deltas in blocks of <see cref="BlockSize"/>, and each block's first id and byte offset are
/// kept aside so that a <see cref="PostingCursor"/> can skip whole blocks. A list is a mutable
/// struct kept in an array (see <see cref="TrigramIndex"/>): most trigrams have only a few
/// entries, and a class per trigram would cost more than its postings.
/// </summary>
internal struct PostingList
{
    public const int BlockSize = 64;

    // The deltas of every posting except the first of each block.
    private byte[]? _deltas;

    // Per block: its first id, then the offset of its second posting's delta in _deltas.
    private int[]? _blocks;
    private int _length;
    private int _count;
    private int _last;

    public readonly int Count => _count;

    /// <summary>Bytes of the arrays behind this list (for memory figures).</summary>
    public readonly long AllocatedBytes => (_deltas?.Length ?? 0) + (4L * (_blocks?.Length ?? 0));

    /// <summary>
    /// Appends <paramref name="id"/>, which must not be smaller than any id already in the list;
    /// the same id again (a name with a repeated trigram) is ignored.
    /// </summary>
    public void Add(int id)
    {
        if (_count > 0 && id == _last)
        {
            return;
        }

        if (_count % BlockSize == 0)
        {
            var block = _count / BlockSize;
            if (_blocks is null || _blocks.Length < (2 * block) + 2)
            {
                Array.Resize(ref _blocks, Math.Max(2, 2 * (block + 1 + (block / 2))));
            }

            _blocks[2 * block] = id;
            _blocks[(2 * block) + 1] = _length;
        }
        else
        {
            if (_deltas is null || _deltas.Length - _length < 5)
            {
                Array.Resize(ref _deltas, Math.Max(8, _length + (_length / 2) + 5));
            }

            var delta = (uint)(id - _last);
            while (delta >= 0x80)
            {
                _deltas[_length++] = (byte)(delta | 0x80);
                delta >>= 7;
            }

            _deltas[_length++] = (byte)delta;
        }

        _last = id;
        _count++;
    }

    public readonly PostingCursor Open() => new(_deltas ?? [], _blocks ?? [], _count);
}

/// <summary>
/// Reads a <see cref="PostingList"/> forwards. Valid only while the list does not change (the
/// registry reads under its read lock and appends under its write lock).
/// </summary>
internal struct PostingCursor
{
    private readonly byte[] _deltas;
    private readonly int[] _blocks;
    private readonly int _count;
    private readonly int _blockCount;
    private int _index;
    private int _offset;
    private int _current;
    private int _block;

    // Index of the first posting of the next block, and that posting's id (int.MaxValue when
    // this is the last block): the fast path compares with these and touches no array.
    private int _blockEnd;
    private int _nextBlockFirst;

    public PostingCursor(byte[] deltas, int[] blocks, int count)
    {
        _deltas = deltas;
        _blocks = blocks;
        _count = count;
        _blockCount = (count + PostingList.BlockSize - 1) / PostingList.BlockSize;
        _index = -1;
        _offset = 0;
        _current = -1;
        _block = -1;
        _blockEnd = 0;
        _nextBlockFirst = count > 0 ? blocks[0] : int.MaxValue;
    }

    public readonly int Count => _count;

    /// <summary>
    /// The id the cursor is on: valid after a <see cref="MoveNext"/> or <see cref="AdvanceTo"/>
    /// that returned true, <see cref="int.MaxValue"/> once the list is exhausted.
    /// </summary>
    public readonly int Current => _current;

    public bool MoveNext()
    {
        var next = _index + 1;
        if (next == _blockEnd)
        {
            if (next >= _count)
            {
                // Exhausted; _blockEnd stays _count, so every later call ends up here again.
                _current = int.MaxValue;
                return false;
            }

            EnterBlock(_block + 1);
            return true;
        }

        _index = next;
        _current += ReadDelta();
        return true;
    }

    /// <summary>
    /// Moves to the first id not smaller than <paramref name="target"/> (staying put when the
    /// current one is); false when there is none.
    /// </summary>
    public bool AdvanceTo(int target)
    {
        if (_current >= target)
        {
            return _current != int.MaxValue;
        }

        if (target >= _nextBlockFirst)
        {
            // The target is past this block: find the last block starting at or before it.
            var low = _block + 1;
            var high = _blockCount - 1;
            while (low < high)
            {
                var middle = (low + high + 1) >>> 1;
                if (_blocks[2 * middle] <= target)
                {
                    low = middle;
                }
                else
                {
                    high = middle - 1;
                }
            }

            EnterBlock(low);
            if (_current >= target)
            {
                return true;
            }
        }

        while (MoveNext())
        {
            if (_current >= target)
            {
                return true;
            }
        }

        return false;
    }

    private void EnterBlock(int block)
    {
        _block = block;
        _index = block * PostingList.BlockSize;
        _current = _blocks[2 * block];
        _offset = _blocks[(2 * block) + 1];
        _blockEnd = Math.Min(_index + PostingList.BlockSize, _count);
        _nextBlockFirst = block + 1 < _blockCount ? _blocks[2 * (block + 1)] : int.MaxValue;
    }

    private int ReadDelta()
    {
        var deltas = _deltas;
        var offset = _offset;
        uint value = deltas[offset++];
        if (value >= 0x80)
        {
            value &= 0x7F;
            var shift = 7;
            uint next;
            do
            {
                next = deltas[offset++];
                value |= (next & 0x7F) << shift;
                shift += 7;
            }
            while (next >= 0x80);
        }

        _offset = offset;
        return (int)value;
    }
}
