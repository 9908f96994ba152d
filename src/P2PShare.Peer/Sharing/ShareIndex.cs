using System.Collections.Frozen;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// The files a peer shares: every regular file under the shared folder, by its relative '/'
/// name. Symbolic links (to files or folders) are never followed, so nothing outside the folder
/// can be reached through the index; partial downloads (*.part) and files whose names the
/// protocol does not allow are left out. A rescan re-hashes only files whose size or
/// modification time changed.
/// </summary>
public sealed class ShareIndex : IDisposable
{
    public const string PartialSuffix = ".part";

    private static readonly ContentId EmptyFileId = ContentHasher.Compute([]);

    private readonly string _root;
    private readonly SemaphoreSlim _scanLock = new(1, 1);
    private FrozenDictionary<string, SharedFile> _files = FrozenDictionary<string, SharedFile>.Empty;

    public ShareIndex(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
    }

    public string Root => _root;

    /// <summary>Current snapshot, sorted by name.</summary>
    public IReadOnlyList<SharedFile> Files => [.. _files.Values.OrderBy(f => f.Name, StringComparer.Ordinal)];

    public int Count => _files.Count;

    public void Dispose() => _scanLock.Dispose();

    public bool TryGet(string name, out SharedFile file) => _files.TryGetValue(name, out file!);

    /// <summary>
    /// Walks the shared folder, hashes new and changed files, and swaps in the new index.
    /// Returns what changed compared with the previous index.
    /// </summary>
    public async Task<ShareChanges> RescanAsync(CancellationToken cancellationToken = default)
    {
        await _scanLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!System.IO.Directory.Exists(_root))
            {
                throw new DirectoryNotFoundException($"shared folder {_root} does not exist");
            }

            var previous = _files;
            var next = new Dictionary<string, SharedFile>(StringComparer.Ordinal);
            var added = new List<FileEntry>();
            var skipped = new List<string>();
            foreach (var info in EnumerateRegularFiles())
            {
                cancellationToken.ThrowIfCancellationRequested();
                var name = Path.GetRelativePath(_root, info.FullName).Replace(Path.DirectorySeparatorChar, '/');
                if (name.EndsWith(PartialSuffix, StringComparison.Ordinal))
                {
                    continue;
                }

                var problem = FileName.Validate(name);
                if (problem is not null)
                {
                    skipped.Add($"{FileName.Printable(name)}: {problem}");
                    continue;
                }

                if (previous.TryGetValue(name, out var known) && known.Size == info.Length && known.LastWriteUtc == info.LastWriteTimeUtc)
                {
                    next[name] = known;
                    continue;
                }

                SharedFile file;
                try
                {
                    file = await HashAsync(name, info, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    skipped.Add($"{FileName.Printable(name)}: {ex.Message}");
                    continue;
                }

                next[name] = file;
                added.Add(file.ToEntry());
            }

            var removed = previous.Keys.Where(name => !next.ContainsKey(name)).Order(StringComparer.Ordinal).ToList();
            _files = next.ToFrozenDictionary(StringComparer.Ordinal);
            return new ShareChanges(added, removed, skipped);
        }
        finally
        {
            _scanLock.Release();
        }
    }

    /// <summary>
    /// Opens a shared file for sending, checking again that it is still the regular file inside
    /// the shared folder that was announced (it may have been replaced by a link, or changed).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file is gone or is no longer what was announced.</exception>
    public FileStream OpenForUpload(SharedFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        EnsureNoLinkOnPath(file.FullPath);
        var stream = new FileStream(file.FullPath, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            BufferSize = 0,
        });
        var info = new FileInfo(file.FullPath);
        if (stream.Length != file.Size || info.LastWriteTimeUtc != file.LastWriteUtc)
        {
            stream.Dispose();
            throw new FileNotFoundException($"{file.Name} changed since it was announced; it will be announced again after the next rescan");
        }

        return stream;
    }

    private void EnsureNoLinkOnPath(string fullPath)
    {
        var path = fullPath;
        while (path.Length > _root.Length)
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is not null)
            {
                throw new FileNotFoundException($"{Path.GetRelativePath(_root, fullPath)} is reached through a symbolic link");
            }

            path = Path.GetDirectoryName(path) ?? _root;
        }

        if (!fullPath.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new FileNotFoundException("path is outside the shared folder");
        }
    }

    private IEnumerable<FileInfo> EnumerateRegularFiles()
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
            ReturnSpecialDirectories = false,
        };
        return new DirectoryInfo(_root).EnumerateFiles("*", options);
    }

    private static async Task<SharedFile> HashAsync(string name, FileInfo info, CancellationToken cancellationToken)
    {
        // An empty file's id is fixed; not opening it also keeps special files (which report a
        // length of 0) from blocking the scan.
        if (info.Length == 0)
        {
            return new SharedFile(name, info.FullName, 0, info.LastWriteTimeUtc, EmptyFileId);
        }

        var size = info.Length;
        var lastWrite = info.LastWriteTimeUtc;
        var id = await ContentHasher.ComputeFileAsync(info.FullName, cancellationToken).ConfigureAwait(false);
        info.Refresh();
        if (info.Length != size || info.LastWriteTimeUtc != lastWrite)
        {
            throw new IOException("changed while it was being hashed; it will be picked up by the next rescan");
        }

        return new SharedFile(name, info.FullName, size, lastWrite, id);
    }
}
