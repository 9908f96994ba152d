using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace P2PShare.Protocol;

/// <summary>
/// A file's 32-byte content id: SHA-256 over the SHA-256 digests of its 1 MiB chunks. Stored as
/// four big-endian words so that it is a small value type with cheap equality.
/// </summary>
public readonly struct ContentId : IEquatable<ContentId>
{
    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    public ContentId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Limits.IdLength)
        {
            throw new ArgumentException($"a content id is {Limits.IdLength} bytes, not {bytes.Length}", nameof(bytes));
        }

        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    /// <summary>All zeros: "any content" in a GET.</summary>
    public static ContentId Zero => default;

    public bool IsZero => (_a | _b | _c | _d) == 0;

    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Limits.IdLength];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>Lower-case hex, 64 characters.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Limits.IdLength];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    public static ContentId Parse(string hex)
    {
        if (!TryParse(hex, out var id))
        {
            throw new FormatException($"'{hex}' is not a content id: expected {Limits.IdLength * 2} hex digits");
        }

        return id;
    }

    public static bool TryParse([NotNullWhen(true)] string? hex, out ContentId id)
    {
        id = default;
        if (hex is null || hex.Length != Limits.IdLength * 2)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Limits.IdLength];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != Limits.IdLength)
        {
            return false;
        }

        id = new ContentId(bytes);
        return true;
    }

    public bool Equals(ContentId other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    public override bool Equals(object? obj) => obj is ContentId other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);

    public static bool operator ==(ContentId left, ContentId right) => left.Equals(right);

    public static bool operator !=(ContentId left, ContentId right) => !left.Equals(right);
}
