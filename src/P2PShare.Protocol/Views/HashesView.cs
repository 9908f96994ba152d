namespace P2PShare.Protocol;

/// <summary>HASHES (type 11): <c>32-byte id</c>. A plain value.</summary>
public readonly record struct HashesView(ContentId Id)
{
    /// <summary>Checks a HASHES payload like <see cref="MessageCodec.Decode"/> does.</summary>
    public static HashesView Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "HASHES");
        var id = reader.ReadId();
        reader.EnsureEnd();
        return new HashesView(id);
    }

    public HashesMessage ToMessage() => new(Id);
}
