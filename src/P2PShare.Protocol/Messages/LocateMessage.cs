namespace P2PShare.Protocol;

/// <summary>Type 13, peer → server: <c>32-byte id</c>. Asks which online peers hold that content, wholly or in part.</summary>
public sealed record LocateMessage(ContentId Id) : Message
{
    public override MessageType Type => MessageType.Locate;

    public override string Name => "LOCATE";
}
