using System.Buffers;
using System.Net;
using System.Numerics;

namespace P2PShare.Protocol;

/// <summary>
/// Collects one payload larger than a connection's receive buffer as its bytes arrive: in pooled
/// segments taken one at a time, so that a frame which stops half way holds what was sent rather
/// than what its header announced; each segment is charged to the server's
/// <see cref="FrameMemoryBudget"/> before it is taken. Once complete, a payload of more than one
/// segment is copied into one contiguous buffer, which the views parse.
/// </summary>
/// <remarks>
/// One reader uses it at a time (the connection's). <see cref="Close"/>, which gives the charge
/// back when the connection closes, may come from any thread: the buffers are then left to the
/// garbage collector rather than returned to the pool, since a read may still be using them.
/// </remarks>
internal sealed class PayloadAssembler
{
    /// <summary>
    /// Small enough that a stalled frame holds little more than it was sent, below the large
    /// object heap's threshold so segments are cheap to recycle, large enough that a 16 MiB
    /// frame is 256 receives.
    /// </summary>
    internal const int SegmentSize = 64 * 1024;

    private readonly FrameMemoryBudget? _budget;
    private readonly IPAddress _group;
    private readonly List<byte[]> _segments = [];
    private byte[]? _contiguous;
    private int _length;
    private int _filled;
    private int _lastSegmentUsed;
    private long _charged;
    private int _closed;

    public PayloadAssembler(FrameMemoryBudget? budget, IPAddress group)
    {
        _budget = budget;
        _group = group;
    }

    public bool IsComplete => _filled == _length;

    /// <summary>Starts a payload of <paramref name="length"/> bytes; the previous one must have been released.</summary>
    public void Begin(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        _length = length;
        _filled = 0;
        _lastSegmentUsed = 0;
    }

    /// <summary>Adds bytes that arrived already (those the receive buffer held).</summary>
    /// <exception cref="ProtocolException">ERROR 4: the budget has no room for a segment.</exception>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var space = NextSpace().Span;
            var count = Math.Min(space.Length, bytes.Length);
            bytes[..count].CopyTo(space);
            Advance(count);
            bytes = bytes[count..];
        }
    }

    /// <summary>Where the next bytes go: the rest of the last segment, or a new one, charged before it is taken.</summary>
    /// <exception cref="ProtocolException">ERROR 4: the budget has no room for a segment.</exception>
    public Memory<byte> NextSpace()
    {
        var needed = _length - _filled;
        if (_segments.Count == 0 || _lastSegmentUsed == SegmentCapacity(_segments[^1]))
        {
            // A payload that fits in one segment gets one of its own size (rounded up by the pool).
            var size = _length <= SegmentSize ? _length : SegmentSize;
            Charge(RentedLength(size));
            _segments.Add(ArrayPool<byte>.Shared.Rent(size));
            _lastSegmentUsed = 0;
        }

        var last = _segments[^1];
        return last.AsMemory(_lastSegmentUsed, Math.Min(SegmentCapacity(last) - _lastSegmentUsed, needed));
    }

    public void Advance(int count)
    {
        _lastSegmentUsed += count;
        _filled += count;
    }

    /// <summary>
    /// The complete payload, valid until <see cref="Release"/>: the segment itself when there is
    /// one, else a contiguous copy (charged like the segments; they go back to the pool at once).
    /// </summary>
    /// <exception cref="ProtocolException">ERROR 4: the budget has no room for the contiguous copy.</exception>
    public ReadOnlyMemory<byte> Complete()
    {
        if (_segments.Count == 1)
        {
            return _segments[0].AsMemory(0, _length);
        }

        var segmentBytes = Volatile.Read(ref _charged);
        var contiguousBytes = RentedLength(_length);
        if (contiguousBytes > segmentBytes)
        {
            // For a moment the segments and the copy are both held; what stays is the copy.
            Charge(contiguousBytes - segmentBytes);
        }

        var contiguous = ArrayPool<byte>.Shared.Rent(_length);
        _contiguous = contiguous;
        var offset = 0;
        foreach (var segment in _segments)
        {
            var count = Math.Min(SegmentSize, _length - offset);
            segment.AsSpan(0, count).CopyTo(contiguous.AsSpan(offset));
            offset += count;
            ArrayPool<byte>.Shared.Return(segment);
        }

        _segments.Clear();
        if (segmentBytes > contiguousBytes)
        {
            Uncharge(segmentBytes - contiguousBytes);
        }

        return contiguous.AsMemory(0, _length);
    }

    /// <summary>Returns the buffers to the pool and the charge to the budget: the payload is done with, or its read failed.</summary>
    public void Release()
    {
        foreach (var segment in _segments)
        {
            ArrayPool<byte>.Shared.Return(segment);
        }

        _segments.Clear();
        if (_contiguous is { } contiguous)
        {
            _contiguous = null;
            ArrayPool<byte>.Shared.Return(contiguous);
        }

        Uncharge(long.MaxValue);
        _length = _filled = _lastSegmentUsed = 0;
    }

    /// <summary>The connection is closing: gives the charge back, now and for anything charged later.</summary>
    public void Close()
    {
        Volatile.Write(ref _closed, 1);
        var charged = Interlocked.Exchange(ref _charged, 0);
        if (charged > 0)
        {
            _budget!.Give(_group, charged);
        }
    }

    /// <summary>What <see cref="ArrayPool{T}.Shared"/> hands out for a request of <paramref name="size"/> bytes: the next power of two.</summary>
    private static long RentedLength(int size) => BitOperations.RoundUpToPowerOf2((uint)size);

    private int SegmentCapacity(byte[] segment) => Math.Min(segment.Length, _length <= SegmentSize ? _length : SegmentSize);

    private void Charge(long bytes)
    {
        if (_budget is null || Volatile.Read(ref _closed) != 0)
        {
            // No budget, or the connection is gone (its next receive fails): nothing to hold back.
            return;
        }

        if (_budget.TryTake(_group, bytes) is { } refusal)
        {
            throw new ProtocolException(ErrorCode.Busy, refusal);
        }

        Interlocked.Add(ref _charged, bytes);
        if (Volatile.Read(ref _closed) != 0)
        {
            // Closed meanwhile: Close may have run before the add, so give back again.
            Close();
        }
    }

    /// <summary>Gives back up to <paramref name="bytes"/> of the charge (less when <see cref="Close"/> gave it back already).</summary>
    private void Uncharge(long bytes)
    {
        if (_budget is null)
        {
            return;
        }

        while (true)
        {
            var charged = Volatile.Read(ref _charged);
            var given = Math.Min(bytes, charged);
            if (given == 0)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _charged, charged - given, charged) == charged)
            {
                _budget.Give(_group, given);
                return;
            }
        }
    }
}
