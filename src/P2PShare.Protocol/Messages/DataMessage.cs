namespace P2PShare.Protocol;

/// <summary>
/// Type 4, peer → peer: <c>u64 offset, u64 length</c>; exactly <c>length</c> raw bytes of the
/// file follow the frame (they are not part of the payload).
/// </summary>
public sealed record DataMessage(ulong Offset, ulong Length) : Message
{
    public override MessageType Type => MessageType.Data;

    public override string Name => "DATA";
}
