namespace P2PShare.Protocol;

/// <summary>Type 16, peer → peer: <c>32-byte id</c>. Asks which chunks of that content the peer holds.</summary>
public sealed record ChunksMessage(ContentId Id) : Message
{
    public override MessageType Type => MessageType.Chunks;

    public override string Name => "CHUNKS";
}
