namespace P2PShare.Tests;

/// <summary>What code allocates on the calling thread (<see cref="GC.GetAllocatedBytesForCurrentThread"/>).</summary>
internal static class ThreadAllocations
{
    /// <summary>
    /// The fewest bytes this thread allocated in any of <paramref name="rounds"/> runs of
    /// <paramref name="body"/>. Code that allocates each time it runs allocates in every round;
    /// the runtime now and then allocates on a thread on its own account, once (CI saw 4,352
    /// bytes over 100 searches that allocate nothing otherwise), and one clean round sees past it.
    /// </summary>
    public static long Fewest(int rounds, Action body)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rounds);
        ArgumentNullException.ThrowIfNull(body);
        var fewest = long.MaxValue;
        for (var round = 0; round < rounds && fewest > 0; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            body();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return fewest;
    }
}
