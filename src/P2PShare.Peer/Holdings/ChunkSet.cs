using System.Numerics;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// A set of chunk numbers of one file, as bits: the chunks a download has verified (written by
/// its writer while uploads read it) or a source's CHUNK_MAP. Adding is atomic and reading never
/// locks, so a chunk once seen here stays seen.
/// </summary>
public sealed class ChunkSet
{
    private readonly ulong[] _words;
    private int _count;

    public ChunkSet(int chunkCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(chunkCount);
        ChunkCount = chunkCount;
        _words = new ulong[(chunkCount + 63) / 64];
    }

    /// <summary>Every chunk of a file of <paramref name="chunkCount"/> chunks.</summary>
    public static ChunkSet All(int chunkCount)
    {
        var set = new ChunkSet(chunkCount);
        for (var chunk = 0; chunk < chunkCount; chunk++)
        {
            set.Add(chunk);
        }

        return set;
    }

    /// <summary>The set a CHUNK_MAP bitmap describes (<see cref="ChunkBitmap"/>).</summary>
    public static ChunkSet FromBitmap(int chunkCount, ReadOnlySpan<byte> bitmap)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(bitmap.Length, ChunkBitmap.ByteLength(chunkCount));
        var set = new ChunkSet(chunkCount);
        for (var chunk = 0; chunk < chunkCount; chunk++)
        {
            if (ChunkBitmap.Has(bitmap, chunkCount, chunk))
            {
                set.Add(chunk);
            }
        }

        return set;
    }

    public int ChunkCount { get; }

    /// <summary>Chunks in the set.</summary>
    public int Count => Volatile.Read(ref _count);

    public bool IsComplete => Count == ChunkCount;

    public bool Contains(int chunk) =>
        (uint)chunk < (uint)ChunkCount && (Volatile.Read(ref _words[chunk >> 6]) & (1UL << (chunk & 63))) != 0;

    /// <summary>Adds <paramref name="chunk"/>; false when it was there already.</summary>
    public bool Add(int chunk)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)chunk, (uint)ChunkCount, nameof(chunk));
        var bit = 1UL << (chunk & 63);
        if ((Interlocked.Or(ref _words[chunk >> 6], bit) & bit) != 0)
        {
            return false;
        }

        Interlocked.Increment(ref _count);
        return true;
    }

    /// <summary>Whether every chunk from <paramref name="first"/> to <paramref name="last"/> (inclusive) is in the set.</summary>
    public bool ContainsRange(int first, int last)
    {
        for (var chunk = first; chunk <= last; chunk++)
        {
            if (!Contains(chunk))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Writes the set as a CHUNK_MAP bitmap (<see cref="ChunkBitmap"/>) into <paramref name="bitmap"/>, which must be <see cref="ChunkBitmap.ByteLength"/> bytes.</summary>
    public void WriteBitmap(Span<byte> bitmap)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(bitmap.Length, ChunkBitmap.ByteLength(ChunkCount));
        bitmap.Clear();
        for (var word = 0; word < _words.Length; word++)
        {
            var bits = Volatile.Read(ref _words[word]);
            while (bits != 0)
            {
                var chunk = (word << 6) + BitOperations.TrailingZeroCount(bits);
                ChunkBitmap.Set(bitmap, chunk);
                bits &= bits - 1;
            }
        }
    }
}
