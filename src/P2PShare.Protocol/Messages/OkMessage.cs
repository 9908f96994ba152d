namespace P2PShare.Protocol;

/// <summary>Type 6, server → peer: <c>u32 number of files now registered for this peer</c>.</summary>
public sealed record OkMessage(uint FileCount) : Message
{
    public override MessageType Type => MessageType.Ok;

    public override string Name => "OK";
}
