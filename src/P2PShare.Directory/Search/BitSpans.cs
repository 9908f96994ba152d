using System.Numerics;
using System.Runtime.InteropServices;

namespace P2PShare.Directory.Search;

/// <summary>
/// ANDs and ORs of bit sets a vector at a time: a broad search joins bit sets of a machine word
/// per 64 entries over the whole table, and the JIT does not vectorize the plain loops.
/// </summary>
internal static class BitSpans
{
    /// <summary><paramref name="target"/>[i] &amp;= <paramref name="source"/>[i] for every i (the spans are as long).</summary>
    public static void And(Span<ulong> target, ReadOnlySpan<ulong> source)
    {
        var vectors = MemoryMarshal.Cast<ulong, Vector<ulong>>(target);
        var sourceVectors = MemoryMarshal.Cast<ulong, Vector<ulong>>(source[..target.Length]);
        for (var i = 0; i < vectors.Length; i++)
        {
            vectors[i] &= sourceVectors[i];
        }

        for (var i = vectors.Length * Vector<ulong>.Count; i < target.Length; i++)
        {
            target[i] &= source[i];
        }
    }

    /// <summary><paramref name="target"/>[i] |= <paramref name="source"/>[i] for every i (the spans are as long).</summary>
    public static void Or(Span<ulong> target, ReadOnlySpan<ulong> source)
    {
        var vectors = MemoryMarshal.Cast<ulong, Vector<ulong>>(target);
        var sourceVectors = MemoryMarshal.Cast<ulong, Vector<ulong>>(source[..target.Length]);
        for (var i = 0; i < vectors.Length; i++)
        {
            vectors[i] |= sourceVectors[i];
        }

        for (var i = vectors.Length * Vector<ulong>.Count; i < target.Length; i++)
        {
            target[i] |= source[i];
        }
    }
}
