namespace P2PShare.Protocol;

/// <summary>Type 10, peer → server: <c>u32 count, count × string name</c>.</summary>
public sealed record RemoveMessage(IReadOnlyList<string> Names) : Message
{
    public override MessageType Type => MessageType.Remove;

    public override string Name => "REMOVE";

    public bool Equals(RemoveMessage? other) => other is not null && SequenceEquals(Names, other.Names);

    public override int GetHashCode() => SequenceHash(Names);
}
