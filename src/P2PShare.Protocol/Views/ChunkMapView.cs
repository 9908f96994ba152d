namespace P2PShare.Protocol;

/// <summary>
/// CHUNK_MAP (type 17) read in place: <c>u32 chunk count</c>, then two bitmaps of
/// <c>ceil(count / 8)</c> bytes with the spare bits 0 (chunks held, chunks being fetched). Checked like <see cref="MessageCodec.Decode"/> checks it;
/// allocates nothing when valid; lives as long as the payload.
/// </summary>
public readonly ref struct ChunkMapView
{
    private ChunkMapView(int chunkCount, ReadOnlySpan<byte> bitmap, ReadOnlySpan<byte> fetching)
    {
        ChunkCount = chunkCount;
        Bitmap = bitmap;
        Fetching = fetching;
    }

    public int ChunkCount { get; }

    /// <summary>The bitmap, <see cref="ChunkBitmap.ByteLength"/> bytes (see <see cref="ChunkBitmap"/>).</summary>
    public ReadOnlySpan<byte> Bitmap { get; }

    /// <summary>The chunks being fetched, a bitmap of the same form.</summary>
    public ReadOnlySpan<byte> Fetching { get; }

    public static ChunkMapView Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "CHUNK_MAP");
        var count = reader.ReadUInt32();
        // In a long, so that a count near 2^32 is a bitmap too long for the payload, not a wrapped length.
        var length = ((long)count + 7) / 8;
        if (2 * length > reader.Remaining)
        {
            throw reader.Fail($"truncated at byte {reader.Position}: the two bitmaps of {count} chunks need {2 * length} bytes, {reader.Remaining} remain");
        }

        var bitmap = reader.ReadBytes((int)length, "bitmap");
        var fetching = reader.ReadBytes((int)length, "bitmap");
        reader.EnsureEnd();
        var problem = ChunkBitmap.Check((int)count, bitmap) ?? ChunkBitmap.Check((int)count, fetching);
        if (problem is not null)
        {
            throw reader.Fail(problem);
        }

        return new ChunkMapView((int)count, bitmap, fetching);
    }

    public bool Has(int chunk) => ChunkBitmap.Has(Bitmap, ChunkCount, chunk);

    public ChunkMapMessage ToMessage() => new(ChunkCount, Bitmap, Fetching);
}
