using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>A file of the shared folder as the index knows it: where it is and what it was when hashed.</summary>
public sealed record SharedFile(string Name, string FullPath, long Size, DateTime LastWriteUtc, ContentId Id)
{
    public FileEntry ToEntry() => new(Name, (ulong)Size, Id);
}
