using System.Net;

namespace P2PShare.Protocol;

/// <summary>
/// Type 14, server → peer: <c>32-byte id, u32 count</c>, then per source <c>u8 family (4 or 6),
/// 4 or 16 address bytes, u16 port, u64 size, u32 held</c>, then <c>string name</c>. The answer
/// to LOCATE; the id is the one asked for. <paramref name="FileName"/> is a name the first
/// listed whole holder shares the content under (what a downloader that knows only the id saves
/// it as), or empty when no whole holder is listed.
/// </summary>
public sealed record SourcesMessage(ContentId Id, IReadOnlyList<HeldSource> Sources, string FileName = "") : Message
{
    public override MessageType Type => MessageType.Sources;

    public override string Name => "SOURCES";

    public bool Equals(SourcesMessage? other) => other is not null && Id == other.Id && FileName == other.FileName && SequenceEquals(Sources, other.Sources);

    public override int GetHashCode() => HashCode.Combine(Id, FileName, SequenceHash(Sources));
}

/// <summary>
/// One peer in a SOURCES message: where to reach it, the content's size, and how many verified
/// chunks it holds, or <see cref="WholeFile"/> when it shares the whole file.
/// </summary>
public sealed record HeldSource(IPAddress Address, ushort Port, ulong Size, uint Held)
{
    /// <summary>The <c>held</c> of a peer that shares the whole file (a registered file with the id).</summary>
    public const uint WholeFile = uint.MaxValue;

    public bool IsWhole => Held == WholeFile;

    public IPEndPoint EndPoint => new(Address, Port);
}
