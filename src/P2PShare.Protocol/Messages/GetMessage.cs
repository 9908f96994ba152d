namespace P2PShare.Protocol;

/// <summary>
/// Type 2 on a peer connection, peer → peer: <c>string name</c>, then optionally
/// <c>u64 offset, u64 length (0 = to the end), 32-byte id (zeros = any)</c>. The short form is
/// sent when all three optional fields are at their defaults, so decoding and encoding round-trip.
/// </summary>
public sealed record GetMessage(string FileName, ulong Offset = 0, ulong Length = 0, ContentId Id = default) : Message
{
    public override MessageType Type => MessageType.SearchOrGet;

    public override string Name => "GET";

    /// <summary>True when the optional offset/length/id part is on the wire.</summary>
    public bool HasRange => Offset != 0 || Length != 0 || !Id.IsZero;
}
