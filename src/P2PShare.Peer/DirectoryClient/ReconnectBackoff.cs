namespace P2PShare.Peer;

/// <summary>
/// Delays between attempts to reach the directory again: <see cref="Initial"/>, doubling up to
/// <see cref="Maximum"/>, each moved at random by up to ±<see cref="Jitter"/> of itself so that
/// many peers losing the same server do not all come back at the same moment.
/// </summary>
public sealed class ReconnectBackoff
{
    private readonly Random _random;

    public ReconnectBackoff(Random? random = null)
    {
        _random = random ?? Random.Shared;
    }

    public TimeSpan Initial { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan Maximum { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Fraction of the delay it may be moved by, either way.</summary>
    public double Jitter { get; init; } = 0.2;

    /// <summary>The delay before attempt <paramref name="attempt"/> (counting from 0), without jitter.</summary>
    public TimeSpan BaseDelay(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        var delay = Initial;
        for (var i = 0; i < attempt && delay < Maximum; i++)
        {
            delay *= 2;
        }

        return delay < Maximum ? delay : Maximum;
    }

    /// <summary>The delay before attempt <paramref name="attempt"/> (counting from 0), with jitter.</summary>
    public TimeSpan Delay(int attempt)
    {
#pragma warning disable CA5394 // Jitter needs no cryptographic randomness.
        var factor = 1 + (Jitter * ((2 * _random.NextDouble()) - 1));
#pragma warning restore CA5394
        return BaseDelay(attempt) * factor;
    }
}
