namespace P2PShare.LoadTest.Catalog;

/// <summary>
/// Ranks 0 .. n-1 drawn with probability about proportional to 1 / (rank + 1)^s: rank 0 is the
/// most popular, and the tail is long. Drawn by inverting the distribution's continuous
/// approximation (no tables), so one draw costs a NextDouble and a Math.Pow.
/// </summary>
internal sealed class Zipf
{
    private readonly int _count;
    private readonly double _exponent;
    private readonly double _span;

    /// <param name="count">How many ranks.</param>
    /// <param name="exponent">s: 0 is uniform; 1 gives rank 0 about 1 / ln(n) of the draws.</param>
    public Zipf(int count, double exponent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(exponent);
        _count = count;
        _exponent = exponent;
        _span = exponent == 1 ? Math.Log(count + 1.0) : Math.Pow(count + 1.0, 1 - exponent) - 1;
    }

    public int Count => _count;

    public int Next(Random random)
    {
        var u = random.NextDouble();
        var x = _exponent == 1
            ? Math.Exp(u * _span) - 1
            : Math.Pow(1 + (u * _span), 1 / (1 - _exponent)) - 1;
        return Math.Clamp((int)x, 0, _count - 1);
    }

    /// <summary>
    /// The number shown for a rank: 1 .. n, a fixed shuffle of the ranks, so that the most
    /// popular names are not artist1 .. artist9 (which, searched for, also match every artist
    /// whose number starts with the same digits: matching is by substring).
    /// </summary>
    public int Label(int rank) => (int)((((long)rank * 7919) + 4231) % _count) + 1;
}
