namespace P2PShare.Protocol;

/// <summary>LOCATE (type 13): <c>32-byte id</c>, never all zeros. A plain value.</summary>
public readonly record struct LocateView(ContentId Id)
{
    /// <summary>Checks a LOCATE payload like <see cref="MessageCodec.Decode"/> does.</summary>
    public static LocateView Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "LOCATE");
        var id = reader.ReadId();
        reader.EnsureEnd();
        if (id.IsZero)
        {
            // The zero id means "any content" in GET; no content has it, so asking for it is a mistake.
            throw reader.Fail("the zero id is no content's id");
        }

        return new LocateView(id);
    }

    public LocateMessage ToMessage() => new(Id);
}
