using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace P2PShare.Protocol;

/// <summary>
/// Reads big-endian protocol fields from one complete payload. Every read is bounds-checked and
/// a shortfall is a <see cref="ProtocolException"/> that names the message and the offset.
/// </summary>
internal ref struct WireReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _payload;
    private readonly string _messageName;
    private int _position;

    public WireReader(ReadOnlySpan<byte> payload, string messageName)
    {
        _payload = payload;
        _messageName = messageName;
        _position = 0;
    }

    public readonly int Remaining => _payload.Length - _position;

    public byte ReadByte() => Take(1, "u8")[0];

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2, "u16"));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4, "u32"));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8, "u64"));

    public ContentId ReadId() => new(Take(Limits.IdLength, "id"));

    public ReadOnlySpan<byte> ReadBytes(int count, string field) => Take(count, field);

    public string ReadString(string field)
    {
        var length = ReadUInt16();
        var bytes = Take(length, field);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Fail($"{field} is not valid UTF-8");
        }
    }

    public string ReadFileName()
    {
        var name = ReadString("file name");
        FileName.EnsureValid(name);
        return name;
    }

    public FileEntry ReadFileEntry()
    {
        var name = ReadFileName();
        var size = ReadUInt64();
        var id = ReadId();
        return new FileEntry(name, size, id);
    }

    /// <summary>
    /// Reads a <c>u32 count</c> and checks it against what the rest of the payload could possibly
    /// hold, so that a lying count never drives an allocation.
    /// </summary>
    public int ReadCount(string what, int minItemLength)
    {
        var count = ReadUInt32();
        if (count > (uint)(Remaining / minItemLength))
        {
            throw Fail($"{what} count {count} does not fit in the {Remaining} bytes that remain");
        }

        return (int)count;
    }

    public IPAddress ReadAddress()
    {
        var family = ReadByte();
        return family switch
        {
            4 => new IPAddress(Take(4, "IPv4 address")),
            6 => new IPAddress(Take(16, "IPv6 address")),
            _ => throw Fail($"address family {family} is neither 4 nor 6"),
        };
    }

    /// <summary>Ensures the whole payload was consumed: trailing bytes are a malformed message.</summary>
    public readonly void EnsureEnd()
    {
        if (Remaining != 0)
        {
            throw Fail($"{Remaining} unexpected bytes after the end of the message");
        }
    }

    public readonly ProtocolException Fail(string problem) =>
        new(ErrorCode.BadRequest, $"malformed {_messageName}: {problem}");

    private ReadOnlySpan<byte> Take(int count, string field)
    {
        if (Remaining < count)
        {
            throw Fail($"truncated at byte {_position}: {field} needs {count} bytes, {Remaining} remain");
        }

        var slice = _payload.Slice(_position, count);
        _position += count;
        return slice;
    }
}
