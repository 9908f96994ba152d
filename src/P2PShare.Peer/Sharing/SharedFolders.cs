using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// Everything a peer serves from disk, as one set of names: the shared folder's index and, when
/// finished downloads are shared (<see cref="PeerOptions.ShareDownloads"/>), the downloads
/// folder's index. A name in both folders is the shared folder's: the downloads folder's file of
/// that name is neither served by name nor announced, and becomes so when the shared one goes.
/// By id, a content is served from whichever folder holds it, under any name.
/// </summary>
/// <remarks>
/// Scans report to the peer's announcements through <see cref="Announcing"/>, which turns each
/// folder's changes into changes of the combined set, so a name is announced with the file that
/// wins it and removed only when neither folder has it.
/// </remarks>
public sealed class SharedFolders
{
    // Serializes what both folders' scans report, so the winner of a name is decided after
    // every change that came before (see FolderObserver).
    private readonly Lock _reportLock = new();

    /// <param name="share">The shared folder's index.</param>
    /// <param name="downloads">The downloads folder's index, or null when downloads are not shared (or are inside the shared folder, which shares them already).</param>
    public SharedFolders(ShareIndex share, ShareIndex? downloads = null)
    {
        ArgumentNullException.ThrowIfNull(share);
        Share = share;
        Downloads = downloads;
    }

    /// <summary>The shared folder's index (<c>--share</c>).</summary>
    public ShareIndex Share { get; }

    /// <summary>The downloads folder's index, when that folder is shared besides; null otherwise.</summary>
    public ShareIndex? Downloads { get; }

    /// <summary>Files served by name: the shared folder's, and the downloads folder's whose names the shared folder does not have.</summary>
    public int Count => Share.Count + (Downloads?.Files.Count(f => !Share.TryGet(f.Name, out _)) ?? 0);

    /// <summary>Files the downloads folder serves by name (those the shared folder does not hide); 0 when it is not shared.</summary>
    public int DownloadsCount => Count - Share.Count;

    /// <summary>Files the running scans of both folders have found and still have to hash.</summary>
    public int PendingHashes => Share.PendingHashes + (Downloads?.PendingHashes ?? 0);

    /// <summary>Files served by name, sorted by name: the shared folder winning a name both have.</summary>
    public IReadOnlyList<SharedFile> Files
    {
        get
        {
            var shared = Share.Files;
            if (Downloads is null)
            {
                return shared;
            }

            var names = shared.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
            return [.. shared.Concat(Downloads.Files.Where(f => !names.Contains(f.Name))).OrderBy(f => f.Name, StringComparer.Ordinal)];
        }
    }

    /// <summary>
    /// Whether the downloads folder has to be shared by an index of its own: it is neither the
    /// shared folder nor inside it (a scan of the shared folder covers it then).
    /// </summary>
    public static bool NeedsOwnIndex(string shareFolder, string downloadsFolder)
    {
        var share = Path.TrimEndingDirectorySeparator(Path.GetFullPath(shareFolder));
        var downloads = Path.TrimEndingDirectorySeparator(Path.GetFullPath(downloadsFolder));
        return !IsSameOrInside(downloads, share);
    }

    /// <summary>The file served under <paramref name="name"/>: the shared folder's, else the downloads folder's.</summary>
    public bool TryGet(string name, out SharedFile file)
    {
        if (Share.TryGet(name, out file))
        {
            return true;
        }

        if (Downloads is not null && Downloads.TryGet(name, out file))
        {
            return true;
        }

        file = null!;
        return false;
    }

    /// <summary>A file with this content in either folder, under whatever name (the shared folder's first).</summary>
    public bool TryGetById(ContentId id, out SharedFile file)
    {
        if (Share.TryGetById(id, out file))
        {
            return true;
        }

        if (Downloads is not null && Downloads.TryGetById(id, out file))
        {
            return true;
        }

        file = null!;
        return false;
    }

    /// <summary>Whether <paramref name="file"/> lies in the downloads folder (as opposed to the shared folder).</summary>
    public bool IsDownload(SharedFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return Downloads is not null && IsIn(Downloads, file);
    }

    /// <summary>
    /// Opens <paramref name="file"/> for sending through the index of the folder it lies in, with
    /// that index's checks (see <see cref="ShareIndex.OpenForUpload"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file is gone or is no longer what was announced.</exception>
    public FileStream OpenForUpload(SharedFile file) => IsDownload(file) ? Downloads!.OpenForUpload(file) : Share.OpenForUpload(file);

    /// <summary>
    /// What a scan of <paramref name="folder"/> (<see cref="Share"/> or <see cref="Downloads"/>)
    /// reports to, so that <paramref name="announcements"/> hears of the combined set's changes:
    /// a name added with the file that wins it, a downloaded file hidden by a shared one not at
    /// all, a shared file's removal as the downloaded file of that name when there is one.
    /// </summary>
    public IShareObserver Announcing(ShareIndex folder, IShareObserver announcements)
    {
        ArgumentNullException.ThrowIfNull(announcements);
        if (!ReferenceEquals(folder, Share) && !ReferenceEquals(folder, Downloads))
        {
            throw new ArgumentException("not one of these folders' indexes", nameof(folder));
        }

        return new FolderObserver(this, folder, announcements);
    }

    /// <summary>
    /// The changes of the combined set when <paramref name="shareChanges"/> and
    /// <paramref name="downloadsChanges"/> are what scans of the two folders found, as the
    /// folders are now: a downloaded file hidden by a shared one is not added, a name removed from
    /// one folder that the other still has is not removed (the other's file is added instead).
    /// </summary>
    public ShareChanges Combine(ShareChanges shareChanges, ShareChanges? downloadsChanges)
    {
        ArgumentNullException.ThrowIfNull(shareChanges);
        if (Downloads is null || downloadsChanges is null)
        {
            return shareChanges;
        }

        var added = new Dictionary<string, FileEntry>(StringComparer.Ordinal);
        var removed = new SortedSet<string>(StringComparer.Ordinal);
        var inShareChanges = shareChanges.Added.Select(e => e.Name).Concat(shareChanges.Removed).ToHashSet(StringComparer.Ordinal);
        foreach (var name in inShareChanges.Concat(downloadsChanges.Added.Select(e => e.Name)).Concat(downloadsChanges.Removed))
        {
            if (!inShareChanges.Contains(name) && Share.TryGet(name, out _))
            {
                // A downloaded file the shared folder hides, added or removed, changes nothing.
                continue;
            }

            if (TryGet(name, out var winner))
            {
                added[name] = winner.ToEntry();
            }
            else
            {
                removed.Add(name);
            }
        }

        return new ShareChanges(
            [.. added.Values.OrderBy(e => e.Name, StringComparer.Ordinal)],
            [.. removed],
            [.. shareChanges.Skipped, .. downloadsChanges.Skipped])
        {
            Stats = Combine(shareChanges.Stats, downloadsChanges.Stats),
        };
    }

    /// <summary>Two scans' statistics as one scan's, the files counted as the combined set has them now.</summary>
    private ShareScanStats Combine(ShareScanStats share, ShareScanStats downloads) => new(
        Count,
        share.Unchanged + downloads.Unchanged,
        share.FromCache + downloads.FromCache,
        share.Hashed + downloads.Hashed,
        share.BytesHashed + downloads.BytesHashed,
        share.Elapsed > downloads.Elapsed ? share.Elapsed : downloads.Elapsed);

    private static bool IsIn(ShareIndex index, SharedFile file) =>
        string.Equals(file.FullPath, Path.Join(index.Root, file.Name.Replace('/', Path.DirectorySeparatorChar)), StringComparison.Ordinal);

    private static bool IsSameOrInside(string path, string folder)
    {
        // The file system's root keeps its separator ("/"), and everything is inside it.
        var prefix = folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar;
        return string.Equals(path, folder, StringComparison.Ordinal) || path.StartsWith(prefix, StringComparison.Ordinal);
    }

    /// <summary>
    /// One folder's scan reports, turned into the combined set's. The winner of a name is looked
    /// up under the report lock, after the index has already changed (an index reports each change
    /// once it serves it): whichever report comes last has seen both folders' changes, so the last
    /// word the announcements get for a name is always its winner.
    /// </summary>
    private sealed class FolderObserver(SharedFolders folders, ShareIndex folder, IShareObserver announcements) : IShareObserver
    {
        private bool IsDownloads => !ReferenceEquals(folder, folders.Share);

        public void FileAdded(SharedFile file)
        {
            lock (folders._reportLock)
            {
                // The shared folder's file of this name is announced (or will be, by its own report).
                if (IsDownloads && folders.Share.TryGet(file.Name, out _))
                {
                    return;
                }

                if (folders.TryGet(file.Name, out var winner))
                {
                    announcements.FileAdded(winner);
                }
            }
        }

        public void FilesRemoved(IReadOnlyList<string> names)
        {
            lock (folders._reportLock)
            {
                var gone = new List<string>(names.Count);
                foreach (var name in names)
                {
                    if (IsDownloads && folders.Share.TryGet(name, out _))
                    {
                        continue;
                    }

                    if (folders.TryGet(name, out var winner))
                    {
                        announcements.FileAdded(winner);
                    }
                    else
                    {
                        gone.Add(name);
                    }
                }

                if (gone.Count > 0)
                {
                    announcements.FilesRemoved(gone);
                }
            }
        }
    }
}
