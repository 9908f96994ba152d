namespace P2PShare.Protocol;

/// <summary>Type 11, peer → peer: <c>32-byte id</c>. Asks for the chunk digests of the file with that id.</summary>
public sealed record HashesMessage(ContentId Id) : Message
{
    public override MessageType Type => MessageType.Hashes;

    public override string Name => "HASHES";
}
