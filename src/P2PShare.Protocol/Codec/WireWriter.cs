using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace P2PShare.Protocol;

/// <summary>Writes big-endian protocol fields into a span sized by <see cref="MessageCodec.GetPayloadLength"/>.</summary>
internal ref struct WireWriter
{
    private readonly Span<byte> _destination;
    private int _position;

    public WireWriter(Span<byte> destination)
    {
        _destination = destination;
        _position = 0;
    }

    public readonly int Written => _position;

    public void WriteByte(byte value) => _destination[_position++] = value;

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_destination[_position..], value);
        _position += 2;
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_destination[_position..], value);
        _position += 4;
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_destination[_position..], value);
        _position += 8;
    }

    public void WriteId(ContentId id)
    {
        id.CopyTo(_destination[_position..]);
        _position += Limits.IdLength;
    }

    public void WriteBytes(scoped ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_destination[_position..]);
        _position += bytes.Length;
    }

    public void WriteString(string value)
    {
        var length = Encoding.UTF8.GetBytes(value, _destination[(_position + 2)..]);
        BinaryPrimitives.WriteUInt16BigEndian(_destination[_position..], checked((ushort)length));
        _position += 2 + length;
    }

    /// <summary>A string given as UTF-8 bytes: the u16 length, then the bytes as they are.</summary>
    public void WriteUtf8String(scoped ReadOnlySpan<byte> utf8)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_destination[_position..], checked((ushort)utf8.Length));
        utf8.CopyTo(_destination[(_position + 2)..]);
        _position += 2 + utf8.Length;
    }

    public void WriteFileEntry(FileEntry entry)
    {
        WriteString(entry.Name);
        WriteUInt64(entry.Size);
        WriteId(entry.Id);
    }

    public void WriteAddress(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            WriteByte(4);
            address.TryWriteBytes(_destination.Slice(_position, 4), out _);
            _position += 4;
        }
        else if (address.IsIPv4MappedToIPv6)
        {
            // ::ffff:a.b.c.d travels as family 4 (the last 4 of its 16 bytes), without the
            // allocation of MapToIPv4.
            Span<byte> mapped = stackalloc byte[16];
            address.TryWriteBytes(mapped, out _);
            WriteByte(4);
            WriteBytes(mapped[12..]);
        }
        else
        {
            WriteByte(6);
            address.TryWriteBytes(_destination.Slice(_position, 16), out _);
            _position += 16;
        }
    }

    public static int StringLength(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        if (length > Limits.MaxStringBytes)
        {
            throw new ArgumentException($"string of {length} bytes exceeds the {Limits.MaxStringBytes}-byte limit of a u16 length");
        }

        return 2 + length;
    }

    public static int Utf8StringLength(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > Limits.MaxStringBytes)
        {
            throw new ArgumentException($"string of {utf8.Length} bytes exceeds the {Limits.MaxStringBytes}-byte limit of a u16 length");
        }

        return 2 + utf8.Length;
    }

    public static int FileEntryLength(FileEntry entry) => StringLength(entry.Name) + 8 + Limits.IdLength;

    public static int AddressLength(IPAddress address) =>
        1 + (address.AddressFamily == AddressFamily.InterNetwork || address.IsIPv4MappedToIPv6 ? 4 : 16);
}
