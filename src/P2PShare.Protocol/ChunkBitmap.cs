using System.Numerics;

namespace P2PShare.Protocol;

/// <summary>
/// The bitmap of CHUNK_MAP (PROTOCOL.md 5.17): chunk c is bit 7 − c mod 8 of byte c / 8, most
/// significant bit first as in BitTorrent's bitfield, and the spare bits of the last byte are 0.
/// </summary>
public static class ChunkBitmap
{
    /// <summary>Bytes of the bitmap of <paramref name="chunkCount"/> chunks: <c>ceil(count / 8)</c>.</summary>
    public static int ByteLength(int chunkCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(chunkCount);
        return (int)(((long)chunkCount + 7) / 8);
    }

    /// <summary>True when <paramref name="chunk"/> is set; false for a chunk outside 0 … count − 1.</summary>
    public static bool Has(ReadOnlySpan<byte> bitmap, int chunkCount, int chunk) =>
        chunk >= 0 && chunk < chunkCount && (bitmap[chunk >> 3] & Mask(chunk)) != 0;

    public static void Set(Span<byte> bitmap, int chunk) => bitmap[chunk >> 3] |= Mask(chunk);

    /// <summary>Sets chunks 0 … count − 1 and leaves the spare bits 0.</summary>
    public static void SetAll(Span<byte> bitmap, int chunkCount)
    {
        var whole = chunkCount / 8;
        bitmap[..whole].Fill(0xff);
        if (chunkCount % 8 != 0)
        {
            bitmap[whole] = (byte)(0xff << (8 - (chunkCount % 8)));
        }
    }

    /// <summary>Number of chunks set.</summary>
    public static int CountSet(ReadOnlySpan<byte> bitmap)
    {
        var count = 0;
        foreach (var b in bitmap)
        {
            count += BitOperations.PopCount(b);
        }

        return count;
    }

    /// <summary>Why <paramref name="bitmap"/> is not the bitmap of <paramref name="chunkCount"/> chunks, or null when it is.</summary>
    internal static string? Check(int chunkCount, ReadOnlySpan<byte> bitmap)
    {
        var length = ByteLength(chunkCount);
        if (bitmap.Length != length)
        {
            return $"the bitmap of {chunkCount} chunks is {length} bytes, not {bitmap.Length}";
        }

        var spare = chunkCount % 8;
        if (spare != 0 && (bitmap[^1] & (0xff >> spare)) != 0)
        {
            return $"spare bits set in the last byte of the bitmap of {chunkCount} chunks (0x{bitmap[^1]:x2})";
        }

        return null;
    }

    private static byte Mask(int chunk) => (byte)(0x80 >> (chunk & 7));
}
