using System.Collections.Concurrent;

namespace P2PShare.Peer;

/// <summary>
/// The one background thread of a process that sends what downloads wrote through the page
/// cache on to the disk soon after it is written, and drops it from the cache once it is there
/// (see <see cref="WriteBehindFile"/>, one per large <c>.part</c>).
/// </summary>
/// <remarks>
/// Started by a download's own writer, write-back made that writer wait whenever the device's
/// queue was full: on a disk slower than the network, a large <c>get</c> then ran at the disk's
/// pace while <c>curl</c>, which leaves everything to the kernel, ran at the network's
/// (BENCHMARKS.md, "Writes"). Here the writer only notes the range, and this thread does the
/// waiting; ranges written meanwhile are merged and handed on together. Without it, a large
/// download would leave all its pages dirty, for the kernel to flush late and at once, and
/// would push other programs' pages out of the cache for a file that is rarely read again soon.
/// Everything here is advice to the kernel: a call that fails changes nothing a download
/// relies on (its data is written by then, and a failed write-back shows on the next
/// <c>fsync</c>, <c>get --fsync</c>'s).
/// </remarks>
internal static class WriteBehind
{
    /// <summary>
    /// Files shorter than this are left to the kernel: for them, the extra descriptor and calls
    /// would cost more than the little they hold in the cache.
    /// </summary>
    public const long MinFileLength = 16L << 20;

    /// <summary>How much of one file may be under write-back and still cached before the thread waits for its oldest range and drops it.</summary>
    internal const long InFlightPerFile = 32L << 20;

    private const int LowestPriority = 19;

    private static readonly BlockingCollection<WriteBehindFile> Ready = [];

    static WriteBehind()
    {
        new Thread(Run) { IsBackground = true, Name = "p2pshare write-behind" }.Start();
    }

    /// <summary>Queues <paramref name="file"/>, which has work and is not queued already.</summary>
    internal static void Queue(WriteBehindFile file) => Ready.Add(file);

    private static void Run()
    {
        // Starting write-back costs CPU (the file system allocates blocks and builds the
        // requests) that the kernel would otherwise spend after the download: at the lowest
        // priority it takes what the download leaves idle instead of slowing it down on a
        // machine with few cores. Refused, the thread runs at the process's priority.
        LibC.SetThisThreadsNice(LowestPriority);

        foreach (var file in Ready.GetConsumingEnumerable())
        {
            file.DoWork();
        }
    }
}
