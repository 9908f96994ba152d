using System.Buffers.Binary;
using System.Net;

namespace P2PShare.Protocol;

/// <summary>
/// Writes a SOURCES frame record by record, straight from the directory's index, into a caller's
/// buffer: <see cref="TryAdd(ReadOnlySpan{byte}, ushort, ulong, uint)"/> per source, then
/// <see cref="Finish"/> writes the name and patches the count and the frame length. Nothing is allocated, and the
/// bytes are those <see cref="MessageCodec.WriteFrame"/> gives the equivalent
/// <see cref="SourcesMessage"/>. The writer stops at <see cref="Limits.MaxSources"/> records.
/// </summary>
public ref struct SourcesFrameWriter
{
    /// <summary>The longest SOURCES frame: <see cref="Limits.MaxSources"/> IPv6 records and the longest name.</summary>
    public const int MaxFrameLength = Limits.FrameHeaderLength + FrameLimits.MaxSourcesPayload;

    private const int RecordsStart = Limits.FrameHeaderLength + Limits.IdLength + 4;

    /// <summary>Room kept after the records for the name <see cref="Finish"/> writes.</summary>
    private const int NameRoom = 2 + Limits.MaxNameBytes;

    private readonly Span<byte> _destination;
    private int _position;
    private bool _finished;

    /// <summary>Writes the SOURCES answering a LOCATE of <paramref name="id"/> into <paramref name="destination"/>.</summary>
    public SourcesFrameWriter(Span<byte> destination, ContentId id)
    {
        if (destination.Length < RecordsStart + NameRoom)
        {
            throw new ArgumentException($"a SOURCES frame needs at least {RecordsStart + NameRoom} bytes", nameof(destination));
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
        if (IsFull || _destination.Length - _position - NameRoom < length)
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

    /// <summary>
    /// Completes the frame with <paramref name="utf8FileName"/> (the first whole holder's name, or
    /// empty), the count and the length; returns the frame length.
    /// </summary>
    public int Finish(scoped ReadOnlySpan<byte> utf8FileName)
    {
        if (_finished)
        {
            throw new InvalidOperationException("the SOURCES frame is finished");
        }

        if (utf8FileName.Length > Limits.MaxNameBytes)
        {
            throw new ArgumentException($"a file name is at most {Limits.MaxNameBytes} bytes, not {utf8FileName.Length}", nameof(utf8FileName));
        }

        _finished = true;
        BinaryPrimitives.WriteUInt16BigEndian(_destination[_position..], (ushort)utf8FileName.Length);
        utf8FileName.CopyTo(_destination[(_position + 2)..]);
        _position += 2 + utf8FileName.Length;
        new FrameHeader((byte)MessageType.Sources, (uint)(_position - Limits.FrameHeaderLength)).Write(_destination);
        BinaryPrimitives.WriteUInt32BigEndian(_destination[(Limits.FrameHeaderLength + Limits.IdLength)..], (uint)Count);
        return _position;
    }
}
