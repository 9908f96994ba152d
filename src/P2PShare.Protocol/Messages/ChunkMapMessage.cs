namespace P2PShare.Protocol;

/// <summary>
/// Type 17, peer → peer: <c>u32 chunk count</c>, then <c>ceil(count / 8)</c> bytes of bitmap,
/// chunk c being bit 7 − c mod 8 of byte c / 8 (<see cref="ChunkBitmap"/>). The answer to CHUNKS.
/// </summary>
public sealed record ChunkMapMessage : Message
{
    private readonly byte[] _bitmap;

    /// <param name="chunkCount">The content's number of chunks.</param>
    /// <param name="bitmap">Exactly <see cref="ChunkBitmap.ByteLength"/> bytes, the spare bits of the last one 0.</param>
    public ChunkMapMessage(int chunkCount, ReadOnlySpan<byte> bitmap)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(chunkCount);
        var problem = ChunkBitmap.Check(chunkCount, bitmap);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(bitmap));
        }

        ChunkCount = chunkCount;
        _bitmap = bitmap.ToArray();
    }

    public override MessageType Type => MessageType.ChunkMap;

    public override string Name => "CHUNK_MAP";

    public int ChunkCount { get; }

    public ReadOnlySpan<byte> Bitmap => _bitmap;

    /// <summary>The map of a peer that holds every chunk (the whole file).</summary>
    public static ChunkMapMessage All(int chunkCount)
    {
        var bitmap = new byte[ChunkBitmap.ByteLength(chunkCount)];
        ChunkBitmap.SetAll(bitmap, chunkCount);
        return new ChunkMapMessage(chunkCount, bitmap);
    }

    public bool Has(int chunk) => ChunkBitmap.Has(_bitmap, ChunkCount, chunk);

    public bool Equals(ChunkMapMessage? other) =>
        other is not null && ChunkCount == other.ChunkCount && _bitmap.AsSpan().SequenceEqual(other._bitmap);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(ChunkCount);
        hash.AddBytes(_bitmap);
        return hash.ToHashCode();
    }
}
