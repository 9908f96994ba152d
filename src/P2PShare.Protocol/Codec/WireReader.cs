using System.Buffers.Binary;
using System.Text.Unicode;

namespace P2PShare.Protocol;

/// <summary>
/// Reads big-endian protocol fields from one complete payload. Every read is bounds-checked and
/// a shortfall is a <see cref="ProtocolException"/> that names the message and the offset.
/// Nothing is allocated unless a check fails: strings come back as validated UTF-8 spans.
/// </summary>
internal ref struct WireReader
{
    private readonly ReadOnlySpan<byte> _payload;
    private readonly string _messageName;
    private int _position;

    public WireReader(ReadOnlySpan<byte> payload, string messageName)
    {
        if (payload.Length > Limits.MaxControlPayload)
        {
            throw new ProtocolException(ErrorCode.TooLarge, $"payload of {payload.Length} bytes exceeds the limit of {Limits.MaxControlPayload} bytes");
        }

        _payload = payload;
        _messageName = messageName;
        _position = 0;
    }

    public readonly int Remaining => _payload.Length - _position;

    public readonly int Position => _position;

    /// <summary>The payload bytes from <paramref name="start"/> to the current position.</summary>
    public readonly ReadOnlySpan<byte> Since(int start) => _payload[start.._position];

    public byte ReadByte() => Take(1, "u8")[0];

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2, "u16"));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4, "u32"));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8, "u64"));

    public ContentId ReadId() => new(Take(Limits.IdLength, "id"));

    public ReadOnlySpan<byte> ReadBytes(int count, string field) => Take(count, field);

    /// <summary>A string's bytes, checked to be strictly valid UTF-8 (PROTOCOL.md 3.2).</summary>
    public ReadOnlySpan<byte> ReadUtf8(string field)
    {
        var length = ReadUInt16();
        var bytes = Take(length, field);
        if (!Utf8.IsValid(bytes))
        {
            throw Fail($"{field} is not valid UTF-8");
        }

        return bytes;
    }

    /// <summary>A string that must be a valid file name (PROTOCOL.md 6).</summary>
    public ReadOnlySpan<byte> ReadFileNameUtf8() => CheckedFileName(ReadUtf8("file name"), emptyAllowed: false);

    /// <summary>A string that is empty or a valid file name (PROTOCOL.md 6).</summary>
    public ReadOnlySpan<byte> ReadOptionalFileNameUtf8() => CheckedFileName(ReadUtf8("file name"), emptyAllowed: true);

    private static ReadOnlySpan<byte> CheckedFileName(ReadOnlySpan<byte> name, bool emptyAllowed)
    {
        var error = emptyAllowed && name.IsEmpty ? null : FileName.ValidateWellFormedUtf8(name);
        if (error is not null)
        {
            throw FileName.Refused(System.Text.Encoding.UTF8.GetString(name), error);
        }

        return name;
    }

    /// <summary>Checks one file entry (name, size, id) and skips it.</summary>
    public void SkipFileEntry()
    {
        ReadFileNameUtf8();
        ReadUInt64();
        Take(Limits.IdLength, "id");
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

    /// <summary>A RESULTS address: the family byte, then 4 or 16 bytes; returns the address bytes.</summary>
    public ReadOnlySpan<byte> ReadAddress()
    {
        var family = ReadByte();
        return family switch
        {
            4 => Take(4, "IPv4 address"),
            6 => Take(16, "IPv6 address"),
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
