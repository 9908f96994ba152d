namespace P2PShare.Peer;

/// <summary>Wakes every waiter when something changed (a chunk finished, a source left); waiters then look again.</summary>
internal sealed class ChangeSignal
{
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// The task the next pulse completes. Take it before looking at what may change and wait on
    /// it after: a pulse that comes in between is not missed.
    /// </summary>
    public Task Next => Volatile.Read(ref _changed).Task;

    public void Pulse() => Interlocked.Exchange(ref _changed, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Waits for the next pulse or <paramref name="timeout"/>, whichever comes first.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => WaitAsync(Next, timeout, cancellationToken);

    /// <summary>Waits for <paramref name="next"/> (from <see cref="Next"/>) or <paramref name="timeout"/>, whichever comes first.</summary>
    public static async Task WaitAsync(Task next, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            await next.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Nothing changed; the caller looks again anyway.
        }
    }
}
