using System.Diagnostics;

namespace P2PShare.Peer;

/// <summary>
/// Shared bandwidth limit for all uploads of a peer (<c>--upload-limit</c>): senders take
/// tokens (bytes) before sending and wait when the bucket is empty. The bucket holds at most
/// a quarter of a second of traffic so bursts stay short.
/// </summary>
/// <remarks>
/// Takers are served in the order they ask: one that finds the bucket short reserves its bytes
/// at once (the bucket goes into debt) and waits until the debt is paid off at the limit's
/// rate. Waiters that each slept and then raced for whatever had refilled could lose the race
/// again and again: with two uploads under one limit, one of them sent nothing for longer than
/// its receiver's stall timeout and was dropped, while the other sent at the full rate.
/// </remarks>
public sealed class TokenBucket
{
    private readonly Lock _lock = new();
    private readonly long _bytesPerSecond;
    private readonly long _capacity;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    // Negative while takers wait: the bytes reserved beyond what has refilled.
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

    /// <summary>Waits until <paramref name="count"/> bytes (at most <see cref="MaxGrant"/>) may be sent; takers are served in the order they asked.</summary>
    public async ValueTask TakeAsync(int count, CancellationToken cancellationToken)
    {
        count = Math.Min(count, MaxGrant);
        TimeSpan wait;
        lock (_lock)
        {
            var now = _clock.Elapsed;
            _tokens = Math.Min(_capacity, _tokens + ((now - _lastRefill).TotalSeconds * _bytesPerSecond));
            _lastRefill = now;
            _tokens -= count;
            if (_tokens >= 0)
            {
                return;
            }

            wait = TimeSpan.FromSeconds(-_tokens / _bytesPerSecond);
        }

        try
        {
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // What it reserved goes back; those who asked after it then wait no longer for it.
            lock (_lock)
            {
                _tokens = Math.Min(_capacity, _tokens + count);
            }

            throw;
        }
    }
}
