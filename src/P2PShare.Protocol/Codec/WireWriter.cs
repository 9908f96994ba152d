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

    public void WriteBytes(ReadOnlySpan<byte> bytes)
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

    public void WriteFileEntry(FileEntry entry)
    {
        WriteString(entry.Name);
        WriteUInt64(entry.Size);
        WriteId(entry.Id);
    }

    public void WriteAddress(IPAddress address)
    {
        address = MessageCodec.NormalizeAddress(address);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            WriteByte(4);
            address.TryWriteBytes(_destination.Slice(_position, 4), out _);
            _position += 4;
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

    public static int FileEntryLength(FileEntry entry) => StringLength(entry.Name) + 8 + Limits.IdLength;

    public static int AddressLength(IPAddress address) =>
        1 + (MessageCodec.NormalizeAddress(address).AddressFamily == AddressFamily.InterNetwork ? 4 : 16);
}
