namespace P2PShare.Protocol;

/// <summary>Type 5, any direction: <c>u16 code, string message</c>.</summary>
public sealed record ErrorMessage(ErrorCode Code, string Text) : Message
{
    public override MessageType Type => MessageType.Error;

    public override string Name => "ERROR";

    public override string ToString() => $"ERROR {(ushort)Code} ({Code}): {Text}";
}
