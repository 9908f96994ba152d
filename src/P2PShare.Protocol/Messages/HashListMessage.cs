using System.Security.Cryptography;

namespace P2PShare.Protocol;

/// <summary>
/// Type 12, peer → peer: <c>u32 chunk size (= 1 MiB), u32 count, count × 32-byte chunk digest</c>,
/// the answer to HASHES. The list is trustworthy only when SHA-256 over the concatenated digests
/// equals the content id that was asked for (<see cref="Matches"/>).
/// </summary>
public sealed record HashListMessage : Message
{
    private readonly byte[] _digests;

    /// <param name="chunkSize">Always <see cref="Limits.ChunkSize"/> in version 1.</param>
    /// <param name="digests">The concatenated 32-byte chunk digests.</param>
    public HashListMessage(uint chunkSize, ReadOnlySpan<byte> digests)
    {
        if (digests.Length % Limits.IdLength != 0)
        {
            throw new ArgumentException($"digests must be a multiple of {Limits.IdLength} bytes", nameof(digests));
        }

        ChunkSize = chunkSize;
        _digests = digests.ToArray();
    }

    public override MessageType Type => MessageType.HashList;

    public override string Name => "HASH_LIST";

    public uint ChunkSize { get; }

    public int Count => _digests.Length / Limits.IdLength;

    /// <summary>The concatenated digests, <see cref="Count"/> × 32 bytes.</summary>
    public ReadOnlySpan<byte> Digests => _digests;

    public ReadOnlySpan<byte> Digest(int chunk) => _digests.AsSpan(chunk * Limits.IdLength, Limits.IdLength);

    /// <summary>True when these digests are the ones <paramref name="id"/> was computed from.</summary>
    public bool Matches(ContentId id)
    {
        Span<byte> hash = stackalloc byte[Limits.IdLength];
        SHA256.HashData(_digests, hash);
        return new ContentId(hash) == id;
    }

    /// <summary>Number of chunks a file of <paramref name="size"/> bytes has (an empty file has none).</summary>
    /// <remarks>Divides first, so that a size near <see cref="ulong.MaxValue"/> does not wrap around to 0 chunks.</remarks>
    public static long ChunkCount(ulong size) => (long)(size / Limits.ChunkSize + (size % Limits.ChunkSize == 0 ? 0UL : 1UL));

    public bool Equals(HashListMessage? other) =>
        other is not null && ChunkSize == other.ChunkSize && _digests.AsSpan().SequenceEqual(other._digests);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(ChunkSize);
        hash.AddBytes(_digests);
        return hash.ToHashCode();
    }
}
