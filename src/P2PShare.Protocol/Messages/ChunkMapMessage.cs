namespace P2PShare.Protocol;

/// <summary>
/// Type 17, peer → peer: <c>u32 chunk count</c>, then two bitmaps of <c>ceil(count / 8)</c>
/// bytes each, chunk c being bit 7 − c mod 8 of byte c / 8 (<see cref="ChunkBitmap"/>): the
/// chunks the peer holds, then the chunks it is fetching (asked of a source, not yet verified:
/// a hint that it will soon hold them, never a promise). The answer to CHUNKS.
/// </summary>
public sealed record ChunkMapMessage : Message
{
    private readonly byte[] _bitmap;
    private readonly byte[] _fetching;

    /// <param name="chunkCount">The content's number of chunks.</param>
    /// <param name="bitmap">The chunks held: exactly <see cref="ChunkBitmap.ByteLength"/> bytes, the spare bits of the last one 0.</param>
    /// <param name="fetching">The chunks being fetched, the same length; empty for none.</param>
    public ChunkMapMessage(int chunkCount, ReadOnlySpan<byte> bitmap, ReadOnlySpan<byte> fetching = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(chunkCount);
        var problem = ChunkBitmap.Check(chunkCount, bitmap);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(bitmap));
        }

        var none = fetching.IsEmpty && chunkCount > 0;
        problem = none ? null : ChunkBitmap.Check(chunkCount, fetching);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(fetching));
        }

        ChunkCount = chunkCount;
        _bitmap = bitmap.ToArray();
        _fetching = none ? new byte[bitmap.Length] : fetching.ToArray();
    }

    public override MessageType Type => MessageType.ChunkMap;

    public override string Name => "CHUNK_MAP";

    public int ChunkCount { get; }

    /// <summary>The chunks held.</summary>
    public ReadOnlySpan<byte> Bitmap => _bitmap;

    /// <summary>The chunks being fetched.</summary>
    public ReadOnlySpan<byte> Fetching => _fetching;

    /// <summary>The map of a peer that holds every chunk (the whole file).</summary>
    public static ChunkMapMessage All(int chunkCount)
    {
        var bitmap = new byte[ChunkBitmap.ByteLength(chunkCount)];
        ChunkBitmap.SetAll(bitmap, chunkCount);
        return new ChunkMapMessage(chunkCount, bitmap);
    }

    public bool Has(int chunk) => ChunkBitmap.Has(_bitmap, ChunkCount, chunk);

    public bool Equals(ChunkMapMessage? other) =>
        other is not null && ChunkCount == other.ChunkCount && _bitmap.AsSpan().SequenceEqual(other._bitmap) && _fetching.AsSpan().SequenceEqual(other._fetching);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(ChunkCount);
        hash.AddBytes(_bitmap);
        hash.AddBytes(_fetching);
        return hash.ToHashCode();
    }
}
