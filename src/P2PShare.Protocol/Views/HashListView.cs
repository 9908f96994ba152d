using System.Security.Cryptography;

namespace P2PShare.Protocol;

/// <summary>
/// HASH_LIST (type 12) read in place: <c>u32 chunk size, u32 count, count × 32-byte digest</c>.
/// Checked like <see cref="MessageCodec.Decode"/> checks it; allocates nothing when valid; lives
/// as long as the payload.
/// </summary>
public readonly ref struct HashListView
{
    private HashListView(uint chunkSize, ReadOnlySpan<byte> digests)
    {
        ChunkSize = chunkSize;
        Digests = digests;
    }

    public uint ChunkSize { get; }

    public int Count => Digests.Length / Limits.IdLength;

    /// <summary>The concatenated digests, <see cref="Count"/> × 32 bytes.</summary>
    public ReadOnlySpan<byte> Digests { get; }

    public ReadOnlySpan<byte> Digest(int chunk) => Digests.Slice(chunk * Limits.IdLength, Limits.IdLength);

    public static HashListView Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "HASH_LIST");
        var chunkSize = reader.ReadUInt32();
        if (chunkSize != Limits.ChunkSize)
        {
            throw reader.Fail($"chunk size {chunkSize} is not {Limits.ChunkSize}, the only chunk size of version 1");
        }

        var count = reader.ReadCount("digest", Limits.IdLength);
        var digests = reader.ReadBytes(count * Limits.IdLength, "digests");
        reader.EnsureEnd();
        return new HashListView(chunkSize, digests);
    }

    /// <summary>True when these digests are the ones <paramref name="id"/> was computed from (see <see cref="HashListMessage.Matches"/>).</summary>
    public bool Matches(ContentId id)
    {
        Span<byte> hash = stackalloc byte[Limits.IdLength];
        SHA256.HashData(Digests, hash);
        return new ContentId(hash) == id;
    }

    public HashListMessage ToMessage() => new(ChunkSize, Digests);
}
