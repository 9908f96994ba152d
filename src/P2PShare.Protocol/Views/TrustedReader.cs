using System.Buffers.Binary;

namespace P2PShare.Protocol;

/// <summary>
/// Walks payload bytes that a view's <c>Parse</c> has already checked, so it reads without
/// bounds or validity checks of its own: the checks live in one place, <see cref="WireReader"/>.
/// </summary>
internal ref struct TrustedReader
{
    private ReadOnlySpan<byte> _rest;

    public TrustedReader(ReadOnlySpan<byte> bytes) => _rest = bytes;

    public readonly ReadOnlySpan<byte> Rest => _rest;

    public byte ReadByte()
    {
        var value = _rest[0];
        _rest = _rest[1..];
        return value;
    }

    public ushort ReadUInt16()
    {
        var value = BinaryPrimitives.ReadUInt16BigEndian(_rest);
        _rest = _rest[2..];
        return value;
    }

    public uint ReadUInt32()
    {
        var value = BinaryPrimitives.ReadUInt32BigEndian(_rest);
        _rest = _rest[4..];
        return value;
    }

    public ulong ReadUInt64()
    {
        var value = BinaryPrimitives.ReadUInt64BigEndian(_rest);
        _rest = _rest[8..];
        return value;
    }

    public ContentId ReadId()
    {
        var value = new ContentId(_rest[..Limits.IdLength]);
        _rest = _rest[Limits.IdLength..];
        return value;
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        var value = _rest[..count];
        _rest = _rest[count..];
        return value;
    }

    public ReadOnlySpan<byte> ReadString() => ReadBytes(ReadUInt16());
}
