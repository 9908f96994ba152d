namespace P2PShare.Protocol;

/// <summary>Type 9, peer → server: <c>u32 count, count × file entry</c>. An entry replaces a registered file of the same name.</summary>
public sealed record AddMessage(IReadOnlyList<FileEntry> Files) : Message
{
    public override MessageType Type => MessageType.Add;

    public override string Name => "ADD";

    public bool Equals(AddMessage? other) => other is not null && SequenceEquals(Files, other.Files);

    public override int GetHashCode() => SequenceHash(Files);
}
