using System.Buffers.Binary;
using System.Net;

namespace P2PShare.Protocol;

/// <summary>
/// Writes a SOURCES frame record by record, straight from the directory's index, into a caller's
/// buffer: <see cref="TryAdd(ReadOnlySpan{byte}, ushort, ulong, uint)"/> per source, then
/// <see cref="Finish"/> patches the count and the frame length. Nothing is allocated, and the
/// bytes are those <see cref="MessageCodec.WriteFrame"/> gives the equivalent
/// <see cref="SourcesMessage"/>. The writer stops at <see cref="Limits.MaxSources"/> records.
/// </summary>
public ref struct SourcesFrameWriter
{
    /// <summary>The longest SOURCES frame: <see cref="Limits.MaxSources"/> IPv6 records.</summary>
    public const int MaxFrameLength = Limits.FrameHeaderLength + FrameLimits.MaxSourcesPayload;

    private const int RecordsStart = Limits.FrameHeaderLength + Limits.IdLength + 4;

    private readonly Span<byte> _destination;
    private int _position;
    private bool _finished;

    /// <summary>Writes the SOURCES answering a LOCATE of <paramref name="id"/> into <paramref name="destination"/>.</summary>
    public SourcesFrameWriter(Span<byte> destination, ContentId id)
    {
        if (destination.Length < RecordsStart)
        {
            throw new ArgumentException($"a SOURCES frame needs at least {RecordsStart} bytes", nameof(destination));
        }

        _destination = destination;
        id.CopyTo(destination[Limits.FrameHeaderLength..]);
        _position = RecordsStart;
        _finished = false;
        Count = 0;
    }

    /// <summary>Records written so far.</summary>
    public int Count { get; private set; }

    /// <summary>True when no further record may be added (the 1000 of a SOURCES).</summary>
    public readonly bool IsFull => Count >= Limits.MaxSources;

    public bool TryAdd(IPAddress address, ushort port, ulong size, uint held)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            throw new ArgumentException($"cannot write address {address}", nameof(address));
        }

        return TryAdd(bytes[..written], port, size, held);
    }

    /// <summary>
    /// Adds a source from its address bytes (4 for IPv4, 16 for IPv6, network order; an
    /// IPv4-mapped IPv6 address is sent as IPv4). False (and nothing written) when the frame is
    /// full or the buffer has no room.
    /// </summary>
    public bool TryAdd(scoped ReadOnlySpan<byte> address, ushort port, ulong size, uint held)
    {
        if (_finished)
        {
            throw new InvalidOperationException("the SOURCES frame is finished");
        }

        if (address.Length is not (4 or 16))
        {
            throw new ArgumentException($"an address is 4 or 16 bytes, not {address.Length}", nameof(address));
        }

        if (address.Length == 16 && address[..10].IndexOfAnyExcept((byte)0) < 0 && address[10] == 0xff && address[11] == 0xff)
        {
            address = address[12..];
        }

        var length = 1 + address.Length + 2 + 8 + 4;
        if (IsFull || _destination.Length - _position < length)
        {
            return false;
        }

        var record = _destination[_position..];
        record[0] = address.Length == 4 ? (byte)4 : (byte)6;
        address.CopyTo(record[1..]);
        var at = 1 + address.Length;
        BinaryPrimitives.WriteUInt16BigEndian(record[at..], port);
        BinaryPrimitives.WriteUInt64BigEndian(record[(at + 2)..], size);
        BinaryPrimitives.WriteUInt32BigEndian(record[(at + 10)..], held);
        _position += length;
        Count++;
        return true;
    }

    /// <summary>Completes the frame (count and length); returns the frame length.</summary>
    public int Finish()
    {
        if (_finished)
        {
            throw new InvalidOperationException("the SOURCES frame is finished");
        }

        _finished = true;
        new FrameHeader((byte)MessageType.Sources, (uint)(_position - Limits.FrameHeaderLength)).Write(_destination);
        BinaryPrimitives.WriteUInt32BigEndian(_destination[(Limits.FrameHeaderLength + Limits.IdLength)..], (uint)Count);
        return _position;
    }
}
