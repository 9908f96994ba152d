namespace P2PShare.Protocol;

/// <summary>OK (type 6): <c>u32 number of files now registered</c>. A plain value.</summary>
public readonly record struct OkView(uint FileCount)
{
    /// <summary>Checks an OK payload like <see cref="MessageCodec.Decode"/> does.</summary>
    public static OkView Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "OK");
        var count = reader.ReadUInt32();
        reader.EnsureEnd();
        return new OkView(count);
    }

    public OkMessage ToMessage() => new(FileCount);
}
