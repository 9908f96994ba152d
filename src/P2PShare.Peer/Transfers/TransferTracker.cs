using System.Collections.Concurrent;

namespace P2PShare.Peer;

/// <summary>
/// Every upload and download of this peer, running and recently finished, numbered in start
/// order. Finished transfers beyond <see cref="MaxFinishedKept"/> are forgotten, oldest first,
/// so a peer that serves for months does not grow without bound; their bytes still count in
/// <see cref="TotalBytesDone"/>.
/// </summary>
public sealed class TransferTracker
{
    public const int MaxFinishedKept = 200;

    private readonly ConcurrentDictionary<int, Transfer> _transfers = new();

    // Bytes of the transfers forgotten so far, by direction; taken with the removal under the
    // lock, so a total never counts a transfer twice or misses one on its way out.
    private readonly Lock _forgetLock = new();
    private readonly long[] _forgottenBytes = new long[2];
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

    /// <summary>
    /// Bytes done by every transfer in <paramref name="direction"/> since this tracker was made,
    /// running, finished and forgotten alike: for uploads, all this peer has sent of its files.
    /// </summary>
    public long TotalBytesDone(TransferDirection direction)
    {
        lock (_forgetLock)
        {
            return _forgottenBytes[(int)direction] + _transfers.Values.Where(t => t.Direction == direction).Sum(t => t.BytesDone);
        }
    }

    private void ForgetOldFinished()
    {
        var finished = _transfers.Values.Where(t => t.IsFinished).ToList();
        if (finished.Count <= MaxFinishedKept)
        {
            return;
        }

        lock (_forgetLock)
        {
            foreach (var old in finished.OrderBy(t => t.Number).Take(finished.Count - MaxFinishedKept))
            {
                if (_transfers.TryRemove(old.Number, out _))
                {
                    _forgottenBytes[(int)old.Direction] += old.BytesDone;
                }
            }
        }
    }
}
