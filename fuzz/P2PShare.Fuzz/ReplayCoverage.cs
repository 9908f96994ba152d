using System.Runtime.InteropServices;

namespace P2PShare.Fuzz;

/// <summary>
/// Instrumented assemblies record every branch in a coverage map that SharpFuzz's fork server
/// shares with AFL++. Outside AFL++ (replaying saved inputs) there is no such map, and the first
/// branch would write through a null pointer: this gives them one of their own to write to.
/// </summary>
internal static class ReplayCoverage
{
    // SharpFuzz's map size (AFL's MAP_SIZE): branch pairs are hashed into 2^16 counters.
    private const int MapSize = 1 << 16;

    public static unsafe void Attach()
    {
        if (SharpFuzz.Common.Trace.SharedMem == null)
        {
            SharpFuzz.Common.Trace.SharedMem = (byte*)NativeMemory.AllocZeroed(MapSize);
        }
    }
}
