namespace P2PShare.Protocol;

/// <summary>
/// A time limit for one operation at a time, combined with the caller's token, that costs no
/// allocation when it does not fire: one <see cref="CancellationTokenSource"/> per connection
/// and direction is re-armed with <see cref="CancellationTokenSource.CancelAfter(TimeSpan)"/> (which
/// reuses its timer) and reset with <see cref="CancellationTokenSource.TryReset"/>, and replaced
/// only after it fired. Creating a linked source per frame instead costs a source and a timer
/// each time. Not thread-safe: one operation at a time (one reader, or the holder of the send lock),
/// except that <see cref="Dispose"/> may come from anywhere.
/// </summary>
internal sealed class ReusableDeadline : IDisposable
{
    private static readonly Action<object?> CancelSource = static source =>
    {
        try
        {
            ((CancellationTokenSource)source!).Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection was disposed under the operation; the caller's own Cancel must not fail for it.
        }
    };

    private CancellationTokenSource _source = new();
    private CancellationTokenRegistration _callerLink;
    private bool _armed;

    /// <summary>
    /// Arms the deadline; returns the token to pass to the operation. An infinite
    /// <paramref name="timeout"/> needs no timer, and the caller's token is returned as it is.
    /// </summary>
    public CancellationToken Start(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return cancellationToken;
        }

        if (_source.IsCancellationRequested)
        {
            // The timer fired just as the last operation finished, after Stop had reset it.
            _source.Dispose();
            _source = new CancellationTokenSource();
        }

        _armed = true;
        if (cancellationToken.CanBeCanceled)
        {
            // Registrations on one source reuse their nodes, so this does not allocate either.
            _callerLink = cancellationToken.UnsafeRegister(CancelSource, _source);
        }

        _source.CancelAfter(timeout);
        return _source.Token;
    }

    /// <summary>Disarms the deadline once the operation is over, whichever way it ended.</summary>
    public void Stop()
    {
        if (!_armed)
        {
            return;
        }

        _armed = false;
        // Disposing the link waits for a cancellation callback that may be running right now,
        // so the source is not cancelled behind TryReset's back.
        _callerLink.Dispose();
        _callerLink = default;
        try
        {
            if (!_source.TryReset())
            {
                // It fired (or the caller cancelled): a cancelled source cannot be reused.
                _source.Dispose();
                _source = new CancellationTokenSource();
            }
        }
        catch (ObjectDisposedException)
        {
            // The connection was disposed under the operation; the operation's own error tells.
        }
    }

    /// <summary>Safe while an operation is running: its <see cref="Stop"/> then does nothing more.</summary>
    public void Dispose() => _source.Dispose();
}
