using Microsoft.Win32.SafeHandles;

namespace P2PShare.Peer;

/// <summary>
/// Opens a second descriptor of an open file for direct I/O (Linux's <c>O_DIRECT</c>), which
/// .NET's file APIs do not offer: writes through it go from the caller's memory to the device
/// without being copied into the page cache first.
/// </summary>
internal static class DirectIo
{
    /// <summary>
    /// A write-only descriptor with <c>O_DIRECT</c> set of the file <paramref name="file"/> has
    /// open as <paramref name="name"/> in <paramref name="folder"/>, or null when this system or
    /// file system does not offer direct I/O, or when the name no longer names that very file
    /// (a link is not followed, and the device and inode must be <paramref name="file"/>'s):
    /// the caller then writes through the page cache. It is a new open file description, so its
    /// flags are its own and it takes no part in <paramref name="file"/>'s lock.
    /// </summary>
    public static SafeFileHandle? TryOpenForWriting(DownloadFolder folder, string name, SafeFileHandle file)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(file);
        // Refused (EINVAL where the file system has no direct I/O): the page cache instead.
        return OperatingSystem.IsLinux() ? folder.TryReopen(name, file, LibC.WriteOnly | LibC.DirectIo) : null;
    }
}
