using Microsoft.Win32.SafeHandles;

namespace P2PShare.Peer;

/// <summary>
/// One folder of the downloads folder, held open by its descriptor: a download opens, creates,
/// renames and removes its files relative to it, never through a symbolic link and never over
/// an existing name. The downloads folder itself may be reached through links (the user chose
/// it); the folders below it that a name such as <c>music/song.mp3</c> asks for are made or
/// opened without following one, so a link planted there cannot send a download elsewhere.
/// </summary>
internal sealed class DownloadFolder : IDisposable
{
    // A folder's own size grows with its entries (ext4: a 4 KiB block per few dozen to a few
    // hundred names); past this, listing it would read thousands of names to find a hundred.
    private const long MaxListedFolderBytes = 256 * 1024;

    private readonly SafeFileHandle _handle;

    private DownloadFolder(SafeFileHandle handle, string path)
    {
        _handle = handle;
        Path = path;
    }

    /// <summary>The folder's path, for messages and results (files are never opened by it).</summary>
    public string Path { get; }

    /// <summary>
    /// Opens <paramref name="folders"/> (<c>a/b</c>, or empty for <paramref name="root"/>
    /// itself) under <paramref name="root"/>, making what is missing. A component that is a link
    /// or not a folder is refused with a <see cref="DownloadException"/> that names it.
    /// </summary>
    public static DownloadFolder Open(string root, string folders)
    {
        ArgumentNullException.ThrowIfNull(folders);
        System.IO.Directory.CreateDirectory(root);
        var handle = LibC.Open(root, LibC.ReadOnly | LibC.Directory);
        var path = root;
        try
        {
            foreach (var component in folders.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                var child = System.IO.Path.Combine(path, component);
                var errno = LibC.MakeFolderAt(handle, component);
                if (errno is not 0 and not LibC.FileExists)
                {
                    throw LibC.Failure($"cannot make the folder {child}", errno);
                }

                var opened = LibC.TryOpenAt(handle, component, LibC.ReadOnly | LibC.Directory | LibC.NoFollow, out errno);
                if (opened is null)
                {
                    if (errno is LibC.TooManyLinks or LibC.NotADirectory && LibC.StatAt(handle, component) is { } status)
                    {
                        throw new DownloadException(status.IsSymbolicLink
                            ? $"{child} is a symbolic link: a download never follows a link inside the downloads folder, nor writes through one"
                            : $"{child} is {status.Kind}, not a folder");
                    }

                    throw LibC.Failure($"cannot open the folder {child}", errno);
                }

                handle.Dispose();
                handle = opened;
                path = child;
            }
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        return new DownloadFolder(handle, path);
    }

    /// <summary>The path of <paramref name="name"/> in this folder, for messages and results.</summary>
    public string PathOf(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>What <paramref name="name"/> is now (a link is reported as a link); null when there is nothing by that name.</summary>
    public FileStatus? Look(string name) => LibC.StatAt(_handle, name);

    /// <summary>
    /// The names in this folder now that start with <paramref name="prefix"/>, read through its
    /// descriptor in one pass; null when the folder cannot be listed, or is so large
    /// (<see cref="MaxListedFolderBytes"/>) that a lookup per name costs less than reading it
    /// all. Looking for many names that are mostly absent, one listing of a folder of ordinary
    /// size costs less than a lookup each (in ext4, a lookup of a missing name searches the
    /// directory). A name may come or go right after: a caller checks what it acts on.
    /// </summary>
    public HashSet<string>? NamesStartingWith(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (Look(".") is not { } folder || folder.Length > MaxListedFolderBytes)
        {
            return null;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var options = new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = false, AttributesToSkip = 0 };
        try
        {
            var entries = new System.IO.Enumeration.FileSystemEnumerable<string>(
                $"/proc/self/fd/{_handle.DangerousGetHandle()}",
                (ref System.IO.Enumeration.FileSystemEntry entry) => entry.FileName.ToString(),
                options)
            {
                ShouldIncludePredicate = (ref System.IO.Enumeration.FileSystemEntry entry) => entry.FileName.StartsWith(prefix, StringComparison.Ordinal),
            };
            foreach (var name in entries)
            {
                names.Add(name);
            }

            return names;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Opens <paramref name="name"/>, not through a link, when it is still the regular file
    /// <paramref name="expected"/> (from <see cref="Look"/>); null when the name now names
    /// something else or nothing.
    /// </summary>
    public SafeFileHandle? OpenExisting(string name, bool write, in FileStatus expected)
    {
        var flags = (write ? LibC.ReadWrite : LibC.ReadOnly) | LibC.NoFollow | LibC.NonBlocking | LibC.NoControllingTerminal;
        var handle = LibC.TryOpenAt(_handle, name, flags, out var errno);
        if (handle is null)
        {
            return errno is LibC.NoSuchFile or LibC.TooManyLinks ? null : throw LibC.Failure($"cannot open {PathOf(name)}", errno);
        }

        var status = LibC.Stat(handle);
        if (status.IsRegularFile && status.IsSameFile(expected))
        {
            return handle;
        }

        handle.Dispose();
        return null;
    }

    /// <summary>Creates <paramref name="name"/> for reading and writing; null when the name is taken by anything at all, a dangling link included.</summary>
    public SafeFileHandle? CreateNew(string name)
    {
        var handle = LibC.TryOpenAt(_handle, name, LibC.ReadWrite | LibC.Create | LibC.Exclusive | LibC.NoFollow, out var errno);
        return handle ?? (errno == LibC.FileExists ? null : throw LibC.Failure($"cannot create {PathOf(name)}", errno));
    }

    /// <summary>
    /// A new descriptor, opened with <paramref name="flags"/>, of the very file
    /// <paramref name="file"/> has open under <paramref name="name"/>; null when the name no
    /// longer names that file (checked by device and inode), is a link, or the open is refused.
    /// </summary>
    public SafeFileHandle? TryReopen(string name, SafeFileHandle file, int flags)
    {
        var handle = LibC.TryOpenAt(_handle, name, flags | LibC.NoFollow, out _);
        if (handle is null)
        {
            return null;
        }

        if (LibC.Stat(handle).IsSameFile(LibC.Stat(file)))
        {
            return handle;
        }

        handle.Dispose();
        return null;
    }

    /// <summary>Flushes the folder's entries to the device (<c>fsync</c> of the folder): a name just given survives a power loss.</summary>
    public void SyncEntries()
    {
        var errno = LibC.Sync(_handle);
        if (errno != 0)
        {
            throw LibC.Failure($"cannot flush {Path} to the disk", errno);
        }
    }

    /// <summary>
    /// Renames <paramref name="from"/> to <paramref name="to"/> unless <paramref name="to"/>
    /// exists as anything (a dangling link included); false then, and nothing is changed.
    /// </summary>
    public bool TryRenameNoReplace(string from, string to)
    {
        var errno = LibC.RenameNoReplaceAt(_handle, from, to);
        if (errno is LibC.InvalidArgument or LibC.NotImplemented or LibC.NotSupported)
        {
            // A file system that cannot rename without replacing: a hard link never replaces either.
            errno = LibC.LinkAt(_handle, from, to);
            if (errno == 0)
            {
                // Should this fail, the file is there under both names: nothing is lost.
                LibC.UnlinkAt(_handle, from);
            }
        }

        return errno switch
        {
            0 => true,
            LibC.FileExists => false,
            _ => throw LibC.Failure($"cannot rename {PathOf(from)} to {to}", errno),
        };
    }

    /// <summary>
    /// Removes <paramref name="name"/> when it still names the file <paramref name="file"/> has
    /// open (this download's own); false, leaving everything as it is, when it names something
    /// else or cannot be removed.
    /// </summary>
    public bool DeleteIfSame(string name, SafeFileHandle file)
    {
        try
        {
            return Look(name) is { } status && status.IsSameFile(LibC.Stat(file)) && LibC.UnlinkAt(_handle, name) == 0;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public void Dispose() => _handle.Dispose();
}
