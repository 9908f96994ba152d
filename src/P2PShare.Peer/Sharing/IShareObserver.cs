namespace P2PShare.Peer;

/// <summary>
/// Told by a scan of a <see cref="ShareIndex"/>, while it runs, which files became known and
/// which are gone, so they can be announced without waiting for the whole scan. Calls are never
/// concurrent, and each comes after the index already serves (or no longer serves) the file.
/// Implementations must be quick and must not throw.
/// </summary>
public interface IShareObserver
{
    /// <summary>A file new to the index, or changed since it was last announced.</summary>
    void FileAdded(SharedFile file);

    /// <summary>Files that are no longer shared (told once, at the end of a scan).</summary>
    void FilesRemoved(IReadOnlyList<string> names);
}
