using System.Runtime.InteropServices;

namespace P2PShare.Protocol;

/// <summary>
/// The process's limit on open files (RLIMIT_NOFILE). Every connection is a file descriptor, and
/// the usual soft limit of 1024 is far below what a directory with tens of thousands of peers, or
/// a busy peer, needs; like Redis, each process raises its soft limit to the hard limit at start.
/// </summary>
public static class OpenFileLimit
{
    /// <summary>RLIMIT_NOFILE on Linux.</summary>
    private const int RlimitNofile = 7;

    /// <summary>RLIM_INFINITY on 64-bit Linux.</summary>
    private const ulong Infinity = ulong.MaxValue;

    /// <summary>Used when the hard limit is infinite and /proc/sys/fs/nr_open cannot be read.</summary>
    private const ulong FallbackCeiling = 1024 * 1024;

    /// <summary>
    /// Raises the soft limit on open files to the hard limit (to <c>/proc/sys/fs/nr_open</c> when
    /// the hard limit is infinite) and returns the soft limit now in force, or -1 when it cannot be
    /// known (not Linux, or the call failed). Never throws: a failure is reported to
    /// <paramref name="warning"/> and the limit is left as it was.
    /// </summary>
    public static long RaiseToHardLimit(Action<string>? warning = null)
    {
        if (!OperatingSystem.IsLinux() || IntPtr.Size != 8)
        {
            return -1;
        }

        try
        {
            if (getrlimit(RlimitNofile, out var limit) != 0)
            {
                warning?.Invoke($"cannot read the open-files limit: errno {Marshal.GetLastPInvokeError()}");
                return -1;
            }

            var target = limit.Max == Infinity ? ReadNrOpen() : limit.Max;
            if (limit.Current >= target)
            {
                return ToLong(limit.Current);
            }

            var raised = new RLimit { Current = target, Max = limit.Max };
            if (setrlimit(RlimitNofile, in raised) != 0)
            {
                warning?.Invoke($"cannot raise the open-files limit from {limit.Current} to {target}: errno {Marshal.GetLastPInvokeError()}");
                return ToLong(limit.Current);
            }

            return ToLong(target);
        }
#pragma warning disable CA1031 // Never throws: a missing libc or a marshalling problem only leaves the limit as it was.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            warning?.Invoke($"cannot raise the open-files limit: {ex.Message}");
            return -1;
        }
    }

    private static long ToLong(ulong value) => value > long.MaxValue ? long.MaxValue : (long)value;

    private static ulong ReadNrOpen()
    {
        try
        {
            return ulong.TryParse(File.ReadAllText("/proc/sys/fs/nr_open").Trim(), out var value) && value > 0 ? value : FallbackCeiling;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return FallbackCeiling;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrlimit(int resource, out RLimit limit);

    [DllImport("libc", SetLastError = true)]
    private static extern int setrlimit(int resource, in RLimit limit);

    /// <summary>struct rlimit on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Max;
    }
}
