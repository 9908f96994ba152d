using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// A file of the shared folder as the index knows it: where it is, what it was when hashed, and
/// its chunk digests (concatenated, 32 bytes per 1 MiB chunk), which answer HASHES.
/// </summary>
public sealed record SharedFile(string Name, string FullPath, long Size, DateTime LastWriteUtc, ContentId Id, byte[] ChunkDigests)
{
    public FileEntry ToEntry() => new(Name, (ulong)Size, Id);
}
