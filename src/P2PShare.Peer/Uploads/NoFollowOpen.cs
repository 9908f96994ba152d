using System.ComponentModel;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace P2PShare.Peer;

/// <summary>
/// Opens a file under a folder for reading without following a symbolic link anywhere below
/// that folder, in one pass over the path: each folder is opened relative to the one before with
/// <c>O_NOFOLLOW</c>, and the file relative to the last folder. What is opened is what is served,
/// so there is no moment between a check and an open in which a swap to a link could be
/// followed. The folder itself may be reached through links (the user chose it).
/// </summary>
/// <remarks>
/// Linux only (<c>openat</c>, whose flag values it knows for x86-64 and Arm64, and
/// <c>/proc/self/fd</c>); elsewhere <see cref="TryOpenForSending"/> returns null and the caller
/// checks the path and opens it the portable way. The file is opened with <c>O_NONBLOCK</c>, so
/// that a FIFO swapped in does not block the open; a caller takes only a file that can seek (a
/// regular file).
/// </remarks>
internal static class NoFollowOpen
{
    private const int ReadOnly = 0; // O_RDONLY
    private const int NonBlocking = 0x800; // O_NONBLOCK (04000), the same on x86-64 and Arm64
    private const int CloseOnExec = 0x80000; // O_CLOEXEC (02000000), the same on x86-64 and Arm64
    private const int PathOnly = 0x200000; // O_PATH (010000000), the same on x86-64 and Arm64
    private const int CurrentFolder = -100; // AT_FDCWD
    private const int LinkLoop = 40; // ELOOP: the last component is a link (O_NOFOLLOW)
    private const int NotAFolder = 20; // ENOTDIR: a folder component is a link, or not a folder

    /// <summary>
    /// Opens <paramref name="relativePath"/> ('/'-separated, as a <see cref="P2PShare.Protocol.FileName"/>)
    /// under <paramref name="root"/> as a stream for asynchronous reads, which sendfile-backed
    /// sends need (<see cref="System.Net.Sockets.SendPacketsElement"/>). Returns null on a system
    /// where this is not available.
    /// </summary>
    /// <exception cref="FileNotFoundException">A component is a symbolic link, or missing, or not what it should be.</exception>
    public static FileStream? TryOpenForSending(string root, string relativePath)
    {
        var handle = TryOpen(root, relativePath);
        if (handle is null)
        {
            return null;
        }

        using var opened = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        if (!opened.CanSeek)
        {
            // A FIFO or device swapped in: opening it again would block, and it is not a shared file.
            throw new FileNotFoundException($"{relativePath} is not a regular file");
        }

        if (!System.IO.Directory.Exists("/proc/self/fd"))
        {
            return null;
        }

        // A descriptor opened by hand cannot be made asynchronous; opening it again through
        // /proc/self/fd opens the very file it has open, whatever its path names by now.
        return new FileStream($"/proc/self/fd/{handle.DangerousGetHandle()}", new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            BufferSize = 0,
        });
    }

    /// <summary>
    /// Opens <paramref name="relativePath"/> under <paramref name="root"/> for reading. Returns
    /// null on a system where this is not available.
    /// </summary>
    /// <exception cref="FileNotFoundException">A component is a symbolic link, or missing, or not what it should be.</exception>
    public static SafeFileHandle? TryOpen(string root, string relativePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentException.ThrowIfNullOrEmpty(relativePath);
        if (!OperatingSystem.IsLinux() || Flags() is not { } flags)
        {
            return null;
        }

        var folder = Open(CurrentFolder, root, PathOnly | flags.Folder | CloseOnExec, relativePath);
        try
        {
            var components = relativePath.Split('/');
            for (var i = 0; i < components.Length - 1; i++)
            {
                var next = Open(Descriptor(folder), components[i], PathOnly | flags.Folder | flags.NoFollow | CloseOnExec, relativePath);
                folder.Dispose();
                folder = next;
            }

            return Open(Descriptor(folder), components[^1], ReadOnly | NonBlocking | flags.NoFollow | CloseOnExec, relativePath);
        }
        finally
        {
            folder.Dispose();
        }
    }

    /// <summary>O_DIRECTORY and O_NOFOLLOW differ between architectures.</summary>
    private static (int Folder, int NoFollow)? Flags() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => (0x10000, 0x20000), // 0200000, 0400000
        Architecture.Arm64 or Architecture.Arm => (0x4000, 0x8000), // 040000, 0100000
        _ => null,
    };

    private static int Descriptor(SafeFileHandle handle) => (int)handle.DangerousGetHandle();

    private static SafeFileHandle Open(int folder, string component, int flags, string relativePath)
    {
        var descriptor = OpenAt(folder, component, flags);
        if (descriptor >= 0)
        {
            return new SafeFileHandle(descriptor, ownsHandle: true);
        }

        var error = Marshal.GetLastPInvokeError();
        var reason = error is LinkLoop or NotAFolder
            ? $"{relativePath} is reached through a symbolic link (or a component is not what it was): {component}"
            : $"{relativePath} cannot be opened: {new Win32Exception(error).Message}";
        throw new FileNotFoundException(reason);
    }

    [DllImport("libc", EntryPoint = "openat", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int OpenAt(int folder, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
}
