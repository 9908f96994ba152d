using System.Buffers.Binary;
using System.Numerics;

namespace P2PShare.Directory.Search;

/// <summary>
/// The ids indexed under one key (a word's entries, or a piece's words), in increasing order, compressed: ids are
/// appended in increasing order (ids are handed out in increasing order) in blocks of
/// <see cref="BlockSize"/>; each block's first id and where its deltas start are kept aside so
/// that a <see cref="PostingCursor"/> can skip whole blocks. A full block stores its other
/// deltas bit-packed, all with the width of its largest; the block being filled stores them as
/// LEB128 (appending needs no width) and is packed once full. A list is a mutable struct kept in
/// an array (see <see cref="PostingIndex"/>): most keys have only a few ids, and a class
/// per key would cost more than its postings.
/// </summary>
/// <remarks>
/// Packed deltas decode without a branch on their length (lists of a few thousand ids in a
/// million mix one- and two-byte LEB128 deltas at random), and take less room than LEB128: the
/// registry of a million names holds about 9 MB less.
/// </remarks>
internal struct PostingList
{
    public const int BlockSize = 64;

    /// <summary>Bytes after a packed block that a reader may load (one unaligned 64-bit read).</summary>
    internal const int ReadSlack = 8;

    // The deltas of every posting except the first of each block.
    private byte[]? _deltas;

    // Per block: its first id, then where its deltas start in _deltas: (byte offset << 5) | bit
    // width of its packed deltas, or | 0 while it is stored as LEB128 (a packed delta is never 0,
    // so its width is at least 1).
    private int[]? _blocks;
    private int _length;
    private int _count;
    private int _last;

    public readonly int Count => _count;

    /// <summary>What the runtime adds to every array: its header and length.</summary>
    public const int ArrayOverhead = 24;

    /// <summary>Bytes of the arrays behind this list, headers included (for the memory budget).</summary>
    public readonly long AllocatedBytes => SizeOf(_deltas) + SizeOf(_blocks);

    /// <summary>
    /// Appends <paramref name="id"/>, which must not be smaller than any id already in the list;
    /// the same id again (a name with a repeated word) is ignored. Returns by how many bytes
    /// the list's arrays grew (0 mostly), so the index can keep its size without adding it up.
    /// </summary>
    public int Add(int id)
    {
        if (_count > 0 && id == _last)
        {
            return 0;
        }

        // Only a resize changes the size: reading both arrays' lengths on every append would
        // touch one more cache line per posting, on the hottest path of a registration.
        var grown = 0L;
        if (_count % BlockSize == 0)
        {
            var block = _count / BlockSize;
            if (_blocks is null || _blocks.Length < (2 * block) + 2)
            {
                grown -= SizeOf(_blocks);
                Array.Resize(ref _blocks, Math.Max(2, 2 * (block + 1 + (block / 2))));
                grown += SizeOf(_blocks);
            }

            _blocks[2 * block] = id;
            _blocks[(2 * block) + 1] = _length << 5;
        }
        else
        {
            if (_deltas is null || _deltas.Length - _length < 5)
            {
                grown -= SizeOf(_deltas);
                Array.Resize(ref _deltas, Math.Max(8, _length + (_length / 2) + 5));
                grown += SizeOf(_deltas);
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
        if (_count % BlockSize == 0)
        {
            grown += PackLastBlock();
        }

        return (int)grown;
    }

    private static long SizeOf(byte[]? array) => array is null ? 0 : ArrayOverhead + array.Length;

    private static long SizeOf(int[]? array) => array is null ? 0 : ArrayOverhead + (4L * array.Length);

    public readonly PostingCursor Open() => new(_deltas ?? [], _blocks ?? [], _count);

    /// <summary>Rewrites the LEB128 deltas of the block just filled bit-packed; returns by how many bytes the deltas' array grew.</summary>
    private long PackLastBlock()
    {
        var block = (_count / BlockSize) - 1;
        var start = _blocks![(2 * block) + 1] >> 5;
        Span<uint> deltas = stackalloc uint[BlockSize - 1];
        var offset = start;
        var largest = 1u;
        for (var i = 0; i < deltas.Length; i++)
        {
            deltas[i] = PostingCursor.ReadLeb128(_deltas!, ref offset);
            largest = Math.Max(largest, deltas[i]);
        }

        var width = 32 - BitOperations.LeadingZeroCount(largest);
        var end = start + (((deltas.Length * width) + 7) / 8);
        var grown = 0L;
        if (_deltas!.Length < end + ReadSlack)
        {
            grown -= SizeOf(_deltas);
            Array.Resize(ref _deltas, end + ReadSlack + ((end - start) / 2));
            grown += SizeOf(_deltas);
        }

        // Little-endian bit order (what the reader's 64-bit loads expect), written 64 bits at a
        // time without a branch per byte; what spills past the block is overwritten later or
        // masked off by the reader.
        var position = start;
        var pending = 0UL;
        var pendingBits = 0;
        foreach (var delta in deltas)
        {
            pending |= (ulong)delta << pendingBits;
            pendingBits += width;
            BinaryPrimitives.WriteUInt64LittleEndian(_deltas.AsSpan(position, ReadSlack), pending);
            var bytes = pendingBits >> 3;
            position += bytes;
            pending >>= bytes * 8;
            pendingBits &= 7;
        }

        _length = end;
        _blocks[(2 * block) + 1] = (start << 5) | width;
        return grown;
    }
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

    // Where the next delta is: a bit position in a packed block, a byte offset in the LEB128 one.
    private int _position;
    private int _width;
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
        _position = 0;
        _width = 0;
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
        _current += (int)ReadDelta(_deltas, ref _position, _width);
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
            EnterBlock(LastBlockAtOrBefore(target));
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

    /// <summary>
    /// Reads the postings after <see cref="Current"/> into <paramref name="ids"/> until it is full
    /// or the list ends; returns how many. The same as calling <see cref="MoveNext"/> that many
    /// times, in one tight loop: a search reads the whole of its shortest list this way.
    /// </summary>
    public int ReadInto(Span<int> ids)
    {
        var read = 0;
        while (read < ids.Length)
        {
            var next = _index + 1;
            if (next == _blockEnd)
            {
                if (next >= _count)
                {
                    _current = int.MaxValue;
                    break;
                }

                EnterBlock(_block + 1);
                ids[read++] = _current;
                continue;
            }

            // The rest of this block, or as much of it as fits.
            var take = Math.Min(_blockEnd - next, ids.Length - read);
            _current = DecodeRun(_deltas, ref _position, _width, _current, ids.Slice(read, take));
            read += take;
            _index += take;
        }

        return read;
    }

    /// <summary>
    /// Keeps the ids of <paramref name="ids"/> (increasing, and not smaller than any id given
    /// to this cursor before: it only moves forwards) that this list also has, moved to the front;
    /// returns how many. Sets <paramref name="exhausted"/> when the list ran out before the last
    /// id, since then no later id can be in it either. The same as an <see cref="AdvanceTo"/> per
    /// id, in one loop that keeps the cursor in locals: narrowing a window of candidates is most
    /// of what a search does.
    /// </summary>
    public int Retain(Span<int> ids, ref bool exhausted)
    {
        if (_current == int.MaxValue)
        {
            exhausted = true;
            return 0;
        }

        var kept = 0;
        var deltas = _deltas;
        var current = _current;
        var index = _index;
        var position = _position;
        foreach (var target in ids)
        {
            if (current < target)
            {
                if (target >= _nextBlockFirst)
                {
                    // Jump to the last block starting at or before the target.
                    EnterBlock(LastBlockAtOrBefore(target));
                    (current, index, position) = (_current, _index, _position);
                }

                while (current < target)
                {
                    if (index + 1 == _blockEnd)
                    {
                        if (index + 1 >= _count)
                        {
                            _index = index;
                            _current = int.MaxValue;
                            exhausted = true;
                            return kept;
                        }

                        // The next block starts past the target (or the jump above would have gone there).
                        EnterBlock(_block + 1);
                        (current, index, position) = (_current, _index, _position);
                        break;
                    }

                    current += (int)ReadDelta(deltas, ref position, _width);
                    index++;
                }
            }

            if (current == target)
            {
                ids[kept++] = target;
            }
        }

        _current = current;
        _index = index;
        _position = position;
        return kept;
    }

    /// <summary>
    /// Does what <see cref="Retain"/> does by reading every posting of this list between the
    /// first and the last of <paramref name="ids"/> and looking each up in a bit set of the ids
    /// (<paramref name="bits"/>, one bit per id from the first; all clear, and left clear).
    /// Merging two lists of similar length mispredicts a branch about once per id; this costs
    /// a decode and a bit test per posting, so it wins when the list has about as many
    /// postings in that range as there are ids.
    /// </summary>
    public int RetainByScan(Span<int> ids, Span<ulong> bits, ref bool exhausted)
    {
        var low = ids[0];
        var high = ids[^1];
        foreach (var id in ids)
        {
            var bit = id - low;
            bits[bit >> 6] |= 1UL << bit;
        }

        var kept = 0;
        var ended = !AdvanceTo(low);
        var deltas = _deltas;
        while (!ended && _current <= high)
        {
            // The rest of this block: test, decode the next, until past the range.
            var current = _current;
            var index = _index;
            var position = _position;
            var width = _width;
            var end = _blockEnd;
            while (true)
            {
                var bit = current - low;
                if ((bits[bit >> 6] & (1UL << bit)) != 0)
                {
                    ids[kept++] = current;
                }

                if (++index == end)
                {
                    break;
                }

                current += (int)ReadDelta(deltas, ref position, width);
                if (current > high)
                {
                    break;
                }
            }

            if (index != end)
            {
                // Stopped on the first posting past the range, as AdvanceTo would.
                (_current, _index, _position) = (current, index, position);
                break;
            }

            _index = index - 1;
            if (index >= _count)
            {
                _current = int.MaxValue;
                ended = true;
                break;
            }

            EnterBlock(_block + 1);
        }

        exhausted |= ended;
        bits[..(((high - low) >> 6) + 1)].Clear();
        return kept;
    }

    /// <summary>
    /// Decodes the next <c>into.Length</c> ids of the current block (the deltas at
    /// <paramref name="position"/>, added up from <paramref name="current"/>); returns the last.
    /// </summary>
    private static int DecodeRun(byte[] deltas, ref int position, int width, int current, Span<int> into)
    {
        foreach (ref var id in into)
        {
            current += (int)ReadDelta(deltas, ref position, width);
            id = current;
        }

        return current;
    }

    /// <summary>Reads one LEB128 delta at <paramref name="offset"/>, moving it past.</summary>
    internal static uint ReadLeb128(byte[] deltas, ref int offset)
    {
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

        return value;
    }

    private static uint ReadDelta(byte[] deltas, ref int position, int width)
    {
        if (width == 0)
        {
            return ReadLeb128(deltas, ref position);
        }

        var word = BinaryPrimitives.ReadUInt64LittleEndian(deltas.AsSpan(position >> 3, PostingList.ReadSlack));
        var value = (uint)(word >> (position & 7)) & ((1u << width) - 1);
        position += width;
        return value;
    }

    /// <summary>
    /// The last block starting at or before <paramref name="target"/>, which is at or past the
    /// next block's first id. Gallops from the next block before the binary search: a search
    /// moves its cursors forwards in small steps, and the blocks near the current one are in
    /// the cache lines just read, while a binary search over all the rest would miss the cache
    /// on nearly every probe.
    /// </summary>
    private readonly int LastBlockAtOrBefore(int target)
    {
        var low = _block + 1;
        var step = 1;
        while (low + step < _blockCount && _blocks[2 * (low + step)] <= target)
        {
            low += step;
            step *= 2;
        }

        var high = Math.Min(low + step, _blockCount) - 1;
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

        return low;
    }

    private void EnterBlock(int block)
    {
        _block = block;
        _index = block * PostingList.BlockSize;
        _current = _blocks[2 * block];
        var start = _blocks[(2 * block) + 1];
        _width = start & 31;
        _position = _width == 0 ? start >> 5 : (start >> 5) * 8;
        _blockEnd = Math.Min(_index + PostingList.BlockSize, _count);
        _nextBlockFirst = block + 1 < _blockCount ? _blocks[2 * (block + 1)] : int.MaxValue;
    }
}
