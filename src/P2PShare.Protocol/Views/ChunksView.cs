namespace P2PShare.Protocol;

/// <summary>CHUNKS (type 16): <c>32-byte id</c>. A plain value.</summary>
public readonly record struct ChunksView(ContentId Id)
{
    /// <summary>Checks a CHUNKS payload like <see cref="MessageCodec.Decode"/> does.</summary>
    public static ChunksView Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "CHUNKS");
        var id = reader.ReadId();
        reader.EnsureEnd();
        return new ChunksView(id);
    }

    public ChunksMessage ToMessage() => new(Id);
}
