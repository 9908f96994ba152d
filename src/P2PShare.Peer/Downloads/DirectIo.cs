using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace P2PShare.Peer;

/// <summary>
/// Opens a second descriptor of an open file for direct I/O (Linux's <c>O_DIRECT</c>), which
/// .NET's file APIs do not offer: writes through it go from the caller's memory to the device
/// without being copied into the page cache first.
/// </summary>
internal static class DirectIo
{
    private const int WriteOnly = 0x1; // O_WRONLY
    private const int CloseOnExec = 0x80000; // O_CLOEXEC (02000000), the same on every Linux architecture .NET runs on

    /// <summary>
    /// A write-only descriptor of the same file as <paramref name="file"/> with <c>O_DIRECT</c>
    /// set, or null when this system or file system does not offer direct I/O. It is opened
    /// through <c>/proc/self/fd</c>, so it is the very file <paramref name="file"/> has open (not
    /// whatever its path names now), and as a new open file description, so its flags are its
    /// own and it takes no part in <paramref name="file"/>'s lock.
    /// </summary>
    public static SafeFileHandle? TryOpenForWriting(SafeFileHandle file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!OperatingSystem.IsLinux() || DirectFlag() is not { } direct)
        {
            return null;
        }

        var descriptor = Open($"/proc/self/fd/{file.DangerousGetHandle()}", WriteOnly | CloseOnExec | direct);
        // Refused (EINVAL where the file system has no direct I/O, ENOENT without /proc): the
        // caller writes through the page cache instead.
        return descriptor < 0 ? null : new SafeFileHandle(descriptor, ownsHandle: true);
    }

    /// <summary>O_DIRECT's value differs between architectures.</summary>
    private static int? DirectFlag() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x4000, // 040000
        Architecture.Arm64 or Architecture.Arm => 0x10000, // 0200000
        _ => null,
    };

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
}
