namespace P2PShare.Protocol;

/// <summary>Type 1, peer → server: <c>u16 listen port, u32 count, count × file entry</c>.</summary>
public sealed record RegisterMessage(ushort ListenPort, IReadOnlyList<FileEntry> Files) : Message
{
    public override MessageType Type => MessageType.Register;

    public override string Name => "REGISTER";

    public bool Equals(RegisterMessage? other) =>
        other is not null && ListenPort == other.ListenPort && SequenceEquals(Files, other.Files);

    public override int GetHashCode() => HashCode.Combine(ListenPort, SequenceHash(Files));
}
