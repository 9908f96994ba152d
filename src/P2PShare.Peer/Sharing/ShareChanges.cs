using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>What a rescan found: files to announce with ADD (new or changed) and names to REMOVE.</summary>
public sealed record ShareChanges(IReadOnlyList<FileEntry> Added, IReadOnlyList<string> Removed, IReadOnlyList<string> Skipped)
{
    public bool IsEmpty => Added.Count == 0 && Removed.Count == 0;

    /// <summary>How the scan went: how many files it took from the index, from the hash cache, or hashed.</summary>
    public ShareScanStats Stats { get; init; } = ShareScanStats.None;
}
