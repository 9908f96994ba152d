using System.Collections.Concurrent;

namespace P2PShare.Peer;

/// <summary>
/// Every upload and download of this peer, running and recently finished, numbered in start
/// order. Finished transfers beyond <see cref="MaxFinishedKept"/> are forgotten, oldest first,
/// so a peer that serves for months does not grow without bound.
/// </summary>
public sealed class TransferTracker
{
    public const int MaxFinishedKept = 200;

    private readonly ConcurrentDictionary<int, Transfer> _transfers = new();
    private int _lastNumber;

    public Transfer Start(TransferDirection direction, string peer, string fileName, long totalBytes)
    {
        var transfer = new Transfer(Interlocked.Increment(ref _lastNumber), direction, peer, fileName, totalBytes);
        _transfers[transfer.Number] = transfer;
        ForgetOldFinished();
        return transfer;
    }

    /// <summary>All transfers, oldest first.</summary>
    public IReadOnlyList<Transfer> Snapshot() => [.. _transfers.Values.OrderBy(t => t.Number)];

    public int RunningCount(TransferDirection direction) =>
        _transfers.Values.Count(t => t.Direction == direction && !t.IsFinished);

    private void ForgetOldFinished()
    {
        var finished = _transfers.Values.Where(t => t.IsFinished).ToList();
        if (finished.Count <= MaxFinishedKept)
        {
            return;
        }

        foreach (var old in finished.OrderBy(t => t.Number).Take(finished.Count - MaxFinishedKept))
        {
            _transfers.TryRemove(old.Number, out _);
        }
    }
}
