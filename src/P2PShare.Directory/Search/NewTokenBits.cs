using System.Numerics;

namespace P2PShare.Directory.Search;

/// <summary>
/// A bit per hash of a token, to count the tokens of one request that the index has never
/// seen without counting a repeat twice: a set would hold millions of keys for a request of
/// a million names in a new script; this holds a bounded number of bits, and a collision only
/// makes the count a little low. Cleared for each request.
/// </summary>
internal sealed class NewTokenBits
{
    private const int MaxBits = 1 << 24;

    private ulong[] _words = new ulong[1024];
    private int _shift;
    private int _bits = 64;
    private long _set;

    /// <summary>
    /// About how many keys <see cref="TrySet"/> took for repeats when they were new (their bit
    /// was set by another key): the n-th new key finds its bit taken with probability about
    /// n / bits, so about set² / (2 × bits) in all, rounded up. What a caller adds to its count
    /// so that the count is not low.
    /// </summary>
    public long LikelyMissed => ((_set * _set) + (2L * _bits) - 1) / (2L * _bits);

    /// <summary>Sets the bit of <paramref name="key"/>; false when it was set already.</summary>
    public bool TrySet(ulong key)
    {
        var bit = (int)((key * 0x9E3779B97F4A7C15UL) >> _shift);
        ref var word = ref _words[bit >> 6];
        var mask = 1UL << (bit & 63);
        if ((word & mask) != 0)
        {
            return false;
        }

        word |= mask;
        _set++;
        return true;
    }

    /// <summary>Clears the bits and sizes them for a request of at most <paramref name="tokens"/> tokens.</summary>
    public void Reset(int tokens)
    {
        // Eight bits per token keep collisions rare; the largest map is 2 MiB.
        var bits = (int)Math.Min((uint)MaxBits, BitOperations.RoundUpToPowerOf2((uint)Math.Max(tokens, 1) * 8));
        bits = Math.Max(bits, 64);
        var words = bits / 64;
        if (_words.Length < words)
        {
            _words = new ulong[words];
        }

        _words.AsSpan(0, words).Clear();
        _shift = 64 - BitOperations.Log2((uint)bits);
        _bits = bits;
        _set = 0;
    }
}
