namespace P2PShare.Peer;

/// <summary>
/// One source's worker as the verifiers see it: a chunk that fails verification fails the
/// source, which wakes the worker (its token is cancelled) so it drops the source.
/// </summary>
internal sealed class SourceRun(string name, CancellationToken stop) : IDisposable
{
    private readonly CancellationTokenSource _cancel = CancellationTokenSource.CreateLinkedTokenSource(stop);
    private string? _failure;

    public string Name { get; } = name;

    public CancellationToken Token => _cancel.Token;

    public bool HasFailed => Volatile.Read(ref _failure) is not null;

    public string? Failure => Volatile.Read(ref _failure);

    /// <summary>Whether the failure is a lie (a chunk that failed verification): the source is then never asked again.</summary>
    public bool Lied { get; private set; }

    public void Fail(string reason, bool lied = false)
    {
        if (Interlocked.CompareExchange(ref _failure, reason, null) is null)
        {
            Lied = lied;
            try
            {
                _cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The worker has ended already.
            }
        }
    }

    public void Dispose() => _cancel.Dispose();
}
