using System.Diagnostics;

namespace P2PShare.Peer;

/// <summary>
/// Shared bandwidth limit for all uploads of a peer (<c>--upload-limit</c>): senders take
/// tokens (bytes) before sending and wait when the bucket is empty. The bucket holds at most
/// a quarter of a second of traffic so bursts stay short.
/// </summary>
public sealed class TokenBucket
{
    private readonly Lock _lock = new();
    private readonly long _bytesPerSecond;
    private readonly long _capacity;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _tokens;
    private TimeSpan _lastRefill;

    public TokenBucket(long bytesPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerSecond);
        _bytesPerSecond = bytesPerSecond;
        _capacity = Math.Max(bytesPerSecond / 4, 1);
        _tokens = 0;
    }

    public long BytesPerSecond => _bytesPerSecond;

    /// <summary>The largest piece worth asking for at once.</summary>
    public int MaxGrant => (int)Math.Min(_capacity, 256 * 1024);

    /// <summary>Waits until <paramref name="count"/> bytes (at most <see cref="MaxGrant"/>) may be sent.</summary>
    public async ValueTask TakeAsync(int count, CancellationToken cancellationToken)
    {
        count = Math.Min(count, MaxGrant);
        while (true)
        {
            TimeSpan wait;
            lock (_lock)
            {
                var now = _clock.Elapsed;
                _tokens = Math.Min(_capacity, _tokens + ((now - _lastRefill).TotalSeconds * _bytesPerSecond));
                _lastRefill = now;
                if (_tokens >= count)
                {
                    _tokens -= count;
                    return;
                }

                wait = TimeSpan.FromSeconds((count - _tokens) / _bytesPerSecond);
            }

            await Task.Delay(wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait, cancellationToken).ConfigureAwait(false);
        }
    }
}
