namespace P2PShare.Protocol;

/// <summary>A shared file as the protocol names it: <c>string name, u64 size, 32-byte id</c>.</summary>
public sealed record FileEntry(string Name, ulong Size, ContentId Id);
