using System.Net;

namespace P2PShare.Protocol;

/// <summary>
/// Bounds the memory that frames being received (and then being answered) hold on a server, per
/// address group (<see cref="AddressGroup"/>: an IPv4 address or an IPv6 /64) and in all. One
/// budget is shared by all connections of a server; each <see cref="FrameConnection"/> takes its
/// share as a large payload's bytes really arrive, and gives it back when the payload is done
/// with (at the next read) or the connection closes. A frame that would go over either limit is
/// refused with ERROR 4 (busy): its connection is closed and the others go on. Thread-safe.
/// </summary>
/// <remarks>
/// What is counted is what the buffers hold: pooled segments while a payload arrives, then one
/// contiguous buffer (its size rounded up to a power of two) while it is parsed and answered.
/// Payloads that fit in a connection's small receive buffer (4 KiB) are not counted: the
/// connection limits bound those.
/// </remarks>
public sealed class FrameMemoryBudget
{
    /// <summary>
    /// The least either limit may be: what one frame of the largest size holds, so that a peer
    /// can always send its 16 MiB REGISTER when nothing else from its address is held.
    /// </summary>
    public const long MinimumLimit = Limits.MaxControlPayload;

    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, long> _perGroup = [];
    private long _total;

    public FrameMemoryBudget(long maxBytesPerAddress, long maxBytesInAll)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytesPerAddress, MinimumLimit);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytesInAll, maxBytesPerAddress);
        MaxBytesPerAddress = maxBytesPerAddress;
        MaxBytesInAll = maxBytesInAll;
    }

    /// <summary>Most bytes the frames from one address group may hold at once.</summary>
    public long MaxBytesPerAddress { get; }

    /// <summary>Most bytes the frames from all addresses may hold at once.</summary>
    public long MaxBytesInAll { get; }

    /// <summary>Bytes held now, in all.</summary>
    public long BytesHeld
    {
        get
        {
            lock (_lock)
            {
                return _total;
            }
        }
    }

    /// <summary>Bytes held now by the frames from the group of <paramref name="address"/>.</summary>
    public long BytesHeldBy(IPAddress address)
    {
        var group = AddressGroup.Of(address);
        lock (_lock)
        {
            return _perGroup.GetValueOrDefault(group);
        }
    }

    /// <summary>
    /// Takes <paramref name="bytes"/> for a frame from <paramref name="address"/> (counted against
    /// its group). Returns null when taken; otherwise takes nothing and returns why, naming the
    /// limit, for the ERROR 4 text.
    /// </summary>
    public string? TryTake(IPAddress address, long bytes)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        var group = AddressGroup.Of(address);
        lock (_lock)
        {
            var held = _perGroup.GetValueOrDefault(group);
            if (held + bytes > MaxBytesPerAddress)
            {
                return $"busy: frames being received from {AddressGroup.Describe(group)} already hold {held} bytes and {bytes} more would pass the limit of {MaxBytesPerAddress} bytes per address; send it again later";
            }

            if (_total + bytes > MaxBytesInAll)
            {
                return $"busy: frames being received from all clients already hold {_total} bytes and {bytes} more would pass the server's limit of {MaxBytesInAll} bytes; send it again later";
            }

            _perGroup[group] = held + bytes;
            _total += bytes;
            return null;
        }
    }

    /// <summary>Gives back bytes taken with <see cref="TryTake"/> for <paramref name="address"/>.</summary>
    public void Give(IPAddress address, long bytes)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        var group = AddressGroup.Of(address);
        lock (_lock)
        {
            var left = _perGroup.GetValueOrDefault(group) - bytes;
            if (left < 0 || _total < bytes)
            {
                throw new InvalidOperationException($"{bytes} bytes given back for {AddressGroup.Describe(group)}, more than it holds");
            }

            if (left == 0)
            {
                _perGroup.Remove(group);
            }
            else
            {
                _perGroup[group] = left;
            }

            _total -= bytes;
        }
    }
}
