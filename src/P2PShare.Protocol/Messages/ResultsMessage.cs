using System.Net;

namespace P2PShare.Protocol;

/// <summary>
/// Type 3, server → peer: <c>u32 peer count</c>, then per peer <c>u8 family (4 or 6), 4 or 16
/// address bytes, u16 port, u32 file count, file entries</c>.
/// </summary>
public sealed record ResultsMessage(IReadOnlyList<PeerFiles> Peers) : Message
{
    public override MessageType Type => MessageType.Results;

    public override string Name => "RESULTS";

    public bool Equals(ResultsMessage? other) => other is not null && SequenceEquals(Peers, other.Peers);

    public override int GetHashCode() => SequenceHash(Peers);
}

/// <summary>One online peer in a RESULTS message: where to reach it and which of its files matched.</summary>
public sealed record PeerFiles(IPAddress Address, ushort Port, IReadOnlyList<FileEntry> Files)
{
    public IPEndPoint EndPoint => new(Address, Port);

    public bool Equals(PeerFiles? other) =>
        other is not null && Address.Equals(other.Address) && Port == other.Port
        && Message.SequenceEquals(Files, other.Files);

    public override int GetHashCode() => HashCode.Combine(Address, Port, Message.SequenceHash(Files));
}
