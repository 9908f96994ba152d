using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace P2PShare.Peer;

/// <summary>
/// The Linux calls a download needs on its files that .NET's file APIs do not offer: opening
/// relative to a folder's descriptor without following links (<c>openat</c> with
/// <c>O_NOFOLLOW</c>), exclusive creation, a rename that never replaces, <c>flock</c>,
/// <c>fallocate</c>, <c>statx</c>, and the calls that move written data to the disk (<c>sync_file_range</c>,
/// <c>posix_fadvise</c>, <c>fdatasync</c>, <c>fsync</c>), and a thread's own priority. Flags whose values differ between architectures are chosen
/// at run time. Every failure is an <see cref="IOException"/> whose HResult is the errno.
/// </summary>
internal static class LibC
{
    public const int NoSuchFile = 2; // ENOENT
    public const int WouldBlock = 11; // EWOULDBLOCK (EAGAIN)
    public const int FileExists = 17; // EEXIST
    public const int NotADirectory = 20; // ENOTDIR
    public const int InvalidArgument = 22; // EINVAL
    public const int NoSpace = 28; // ENOSPC
    public const int NotImplemented = 38; // ENOSYS
    public const int TooManyLinks = 40; // ELOOP: what O_NOFOLLOW answers for a symbolic link
    public const int NotSupported = 95; // EOPNOTSUPP

    public const int ReadOnly = 0x0; // O_RDONLY
    public const int WriteOnly = 0x1; // O_WRONLY
    public const int ReadWrite = 0x2; // O_RDWR
    public const int Create = 0x40; // O_CREAT
    public const int Exclusive = 0x80; // O_EXCL
    public const int NoControllingTerminal = 0x100; // O_NOCTTY
    public const int NonBlocking = 0x800; // O_NONBLOCK: opening a FIFO swapped in must not hang
    public const int CloseOnExec = 0x80000; // O_CLOEXEC

    private const int SymlinkNoFollow = 0x100; // AT_SYMLINK_NOFOLLOW
    private const int EmptyPath = 0x1000; // AT_EMPTY_PATH
    private const uint BasicStats = 0x7ff; // STATX_BASIC_STATS
    private const int StatxSize = 256;
    private const uint RenameNoReplace = 1; // RENAME_NOREPLACE
    private const int LockExclusive = 2; // LOCK_EX
    private const int LockNonBlocking = 4; // LOCK_NB

    // Three Linux flags differ between architectures: ARM and POWER have their own values, the
    // rest (x86, s390x, RISC-V, LoongArch) share the generic ones.
    private static readonly Architecture Machine = RuntimeInformation.ProcessArchitecture;

    /// <summary>O_DIRECTORY.</summary>
    public static int Directory => Machine switch
    {
        Architecture.Arm64 or Architecture.Arm or Architecture.Ppc64le => 0x4000, // 040000
        _ => 0x10000, // 0200000
    };

    /// <summary>O_NOFOLLOW.</summary>
    public static int NoFollow => Machine switch
    {
        Architecture.Arm64 or Architecture.Arm or Architecture.Ppc64le => 0x8000, // 0100000
        _ => 0x20000, // 0400000
    };

    /// <summary>O_DIRECT.</summary>
    public static int DirectIo => Machine switch
    {
        Architecture.Arm64 or Architecture.Arm => 0x10000, // 0200000
        Architecture.Ppc64le => 0x20000, // 0400000
        _ => 0x4000, // 040000
    };

    /// <summary>The user this process runs as: the owner of every file it creates.</summary>
    public static uint EffectiveUser => GetEffectiveUserId();

    /// <summary>Opens <paramref name="path"/> (links followed: for the folder the user chose).</summary>
    public static SafeFileHandle Open(string path, int flags)
    {
        var descriptor = NativeOpen(path, flags | CloseOnExec, 0);
        return descriptor >= 0 ? new SafeFileHandle(descriptor, ownsHandle: true) : throw Failure($"cannot open {path}");
    }

    /// <summary>openat of <paramref name="name"/> in <paramref name="folder"/>; null, with the errno, when refused.</summary>
    public static SafeFileHandle? TryOpenAt(SafeFileHandle folder, string name, int flags, out int errno)
    {
        var descriptor = NativeOpenAt(folder, name, flags | CloseOnExec, 0b110_110_110);
        errno = descriptor >= 0 ? 0 : Marshal.GetLastPInvokeError();
        return descriptor >= 0 ? new SafeFileHandle(descriptor, ownsHandle: true) : null;
    }

    /// <summary>mkdirat; the errno, 0 when the folder was made.</summary>
    public static int MakeFolderAt(SafeFileHandle folder, string name) =>
        NativeMakeFolderAt(folder, name, 0b111_111_111) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>renameat2 with RENAME_NOREPLACE; the errno, 0 when renamed.</summary>
    public static int RenameNoReplaceAt(SafeFileHandle folder, string from, string to) =>
        NativeRenameAt2(folder, from, folder, to, RenameNoReplace) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>linkat without following links; the errno, 0 when linked.</summary>
    public static int LinkAt(SafeFileHandle folder, string from, string to) =>
        NativeLinkAt(folder, from, folder, to, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>unlinkat of a file (never a folder); the errno, 0 when removed.</summary>
    public static int UnlinkAt(SafeFileHandle folder, string name) =>
        NativeUnlinkAt(folder, name, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>What <paramref name="name"/> in <paramref name="folder"/> is, the entry itself (a link is reported as a link); null when there is nothing.</summary>
    public static FileStatus? StatAt(SafeFileHandle folder, string name)
    {
        var buffer = new byte[StatxSize];
        if (NativeStatx(folder, name, SymlinkNoFollow, BasicStats, buffer) == 0)
        {
            return FileStatus.Read(buffer);
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno is NoSuchFile ? null : throw Failure($"cannot look at {name}", errno);
    }

    /// <summary>What the open file <paramref name="file"/> is.</summary>
    public static FileStatus Stat(SafeFileHandle file)
    {
        var buffer = new byte[StatxSize];
        return NativeStatx(file, string.Empty, EmptyPath, BasicStats, buffer) == 0 ? FileStatus.Read(buffer) : throw Failure("cannot look at an open file");
    }

    /// <summary>Takes the exclusive advisory lock (the one .NET takes for FileShare.None); false when another open file holds it.</summary>
    public static bool TryLockExclusive(SafeFileHandle file)
    {
        if (NativeFlock(file, LockExclusive | LockNonBlocking) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == WouldBlock ? false : throw Failure("cannot lock a file", errno);
    }

    /// <summary>fallocate mode 0 over the whole length; the errno, 0 when every block is allocated.</summary>
    public static int Allocate(SafeFileHandle file, long length) =>
        NativeFallocate(file, 0, 0, length) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>sync_file_range with <paramref name="flags"/> (SYNC_FILE_RANGE_*); the errno, 0 when done.</summary>
    public static int SyncFileRange(SafeFileHandle file, long offset, long length, uint flags) =>
        NativeSyncFileRange(file, offset, length, flags) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>fdatasync: the file's data, and what is needed to read it back, on the device; the errno, 0 when done.</summary>
    public static int DataSync(SafeFileHandle file) => NativeFdatasync(file) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>fsync (for a folder: its entries, after a rename); the errno, 0 when done.</summary>
    public static int Sync(SafeFileHandle file) => NativeFsync(file) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>posix_fadvise POSIX_FADV_DONTNEED: drops the range's clean pages from the page cache; the errno, 0 when done.</summary>
    public static int DropCached(SafeFileHandle file, long offset, long length) => NativeFadvise(file, offset, length, 4);

    /// <summary>setpriority of the calling thread alone (Linux schedules threads by their own nice value); the errno, 0 when set.</summary>
    public static int SetThisThreadsNice(int nice) =>
        NativeSetPriority(0, NativeGetThreadId(), nice) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>An <see cref="IOException"/> for the last call's errno.</summary>
    public static IOException Failure(string what) => Failure(what, Marshal.GetLastPInvokeError());

    public static IOException Failure(string what, int errno) => new($"{what}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);

    [DllImport("libc", EntryPoint = "openat", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeOpenAt(SafeFileHandle folder, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, int flags, uint mode);

    [DllImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeMakeFolderAt(SafeFileHandle folder, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, uint mode);

    [DllImport("libc", EntryPoint = "renameat2", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeRenameAt2(SafeFileHandle fromFolder, [MarshalAs(UnmanagedType.LPUTF8Str)] string from, SafeFileHandle toFolder, [MarshalAs(UnmanagedType.LPUTF8Str)] string to, uint flags);

    [DllImport("libc", EntryPoint = "linkat", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeLinkAt(SafeFileHandle fromFolder, [MarshalAs(UnmanagedType.LPUTF8Str)] string from, SafeFileHandle toFolder, [MarshalAs(UnmanagedType.LPUTF8Str)] string to, int flags);

    [DllImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeUnlinkAt(SafeFileHandle folder, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, int flags);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeStatx(SafeFileHandle folder, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeFlock(SafeFileHandle file, int operation);

    [DllImport("libc", EntryPoint = "fallocate64", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeFallocate(SafeFileHandle file, int mode, long offset, long length);

    [DllImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeSyncFileRange(SafeFileHandle file, long offset, long length, uint flags);

    [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeFdatasync(SafeFileHandle file);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeFsync(SafeFileHandle file);

    [DllImport("libc", EntryPoint = "posix_fadvise64")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeFadvise(SafeFileHandle file, long offset, long length, int advice);

    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeSetPriority(int which, int who, int prio);

    [DllImport("libc", EntryPoint = "gettid")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeGetThreadId();

    [DllImport("libc", EntryPoint = "geteuid")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern uint GetEffectiveUserId();
}
