using System.Collections.Concurrent;

namespace P2PShare.Peer;

/// <summary>Every upload and download of this peer, running and finished, numbered in start order.</summary>
public sealed class TransferTracker
{
    private readonly ConcurrentDictionary<int, Transfer> _transfers = new();
    private int _lastNumber;

    public Transfer Start(TransferDirection direction, string peer, string fileName, long totalBytes)
    {
        var transfer = new Transfer(Interlocked.Increment(ref _lastNumber), direction, peer, fileName, totalBytes);
        _transfers[transfer.Number] = transfer;
        return transfer;
    }

    /// <summary>All transfers, oldest first.</summary>
    public IReadOnlyList<Transfer> Snapshot() => [.. _transfers.Values.OrderBy(t => t.Number)];

    public int RunningCount(TransferDirection direction) =>
        _transfers.Values.Count(t => t.Direction == direction && !t.IsFinished);
}
