namespace P2PShare.Protocol;

/// <summary>
/// Type 15, peer → server: <c>u32 count, count × (32-byte id, u64 size, u32 held)</c>. Announces
/// the contents the peer holds in part (downloads in progress) and how many verified chunks of
/// each; <c>held</c> 0 withdraws one.
/// </summary>
public sealed record HoldMessage(IReadOnlyList<HoldItem> Items) : Message
{
    public override MessageType Type => MessageType.Hold;

    public override string Name => "HOLD";

    public bool Equals(HoldMessage? other) => other is not null && SequenceEquals(Items, other.Items);

    public override int GetHashCode() => SequenceHash(Items);
}

/// <summary>One content of a HOLD: its id, its size, and how many of its chunks the peer has verified (0 withdraws it).</summary>
public readonly record struct HoldItem(ContentId Id, ulong Size, uint Held);
