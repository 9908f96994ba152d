using Microsoft.Extensions.Logging;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// Tells the directory which contents this peer holds in part (HOLD), so that other downloaders
/// find it by LOCATE: a held download once it has a verified chunk, its count as it grows, and
/// 0 once it is no longer held. It sends only what changed since the directory last heard, at
/// most every <see cref="Interval"/>; after each new registration (which clears the directory's
/// record of the peer's holdings) it sends everything again.
/// </summary>
internal sealed class HoldAnnouncer(HeldDownloads held, Func<IReadOnlyList<HoldItem>, CancellationToken, Task<uint>> send, ILogger logger)
{
    /// <summary>Most items in one HOLD (PROTOCOL.md section 4).</summary>
    private const int MaxItemsPerHold = 1024;

    /// <summary>What the directory was last told, per content: its size and the chunks held.</summary>
    private readonly Dictionary<ContentId, HoldItem> _announced = [];
    private readonly Lock _lock = new();
    private readonly ChangeSignal _registered = new();
    private bool _refused;

    /// <summary>How often, at most, the directory hears of new chunks (the delay before a partial source can be found).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The peer has registered again: the directory knows none of its holdings.</summary>
    public void Registered()
    {
        lock (_lock)
        {
            _announced.Clear();
            _refused = false;
        }

        _registered.Pulse();
    }

    /// <summary>Announces changes until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var wake = Task.WhenAny(held.Changed.Next, _registered.Next);
                await AnnounceChangesAsync(cancellationToken).ConfigureAwait(false);
                await Task.Delay(Interval, cancellationToken).ConfigureAwait(false);
                if (!HasChunksToTell())
                {
                    await ChangeSignal.WaitAsync(wake, Interval, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The peer is stopping; the directory forgets its holdings with its registration.
        }
    }

    private bool HasChunksToTell()
    {
        lock (_lock)
        {
            return held.All.Any(h => !_announced.TryGetValue(h.Id, out var told) || told.Held != (uint)h.Stored.Count);
        }
    }

    private async Task AnnounceChangesAsync(CancellationToken cancellationToken)
    {
        List<HoldItem> changes;
        lock (_lock)
        {
            if (_refused)
            {
                return;
            }

            var now = held.All
                .Where(h => h.Stored.Count > 0)
                .ToDictionary(h => h.Id, h => new HoldItem(h.Id, h.Size, (uint)h.Stored.Count));
            changes = [.. now.Values.Where(item => !_announced.TryGetValue(item.Id, out var told) || told != item)];
            changes.AddRange(_announced.Values.Where(told => !now.ContainsKey(told.Id)).Select(told => told with { Held = 0 }));
        }

        foreach (var batch in changes.Chunk(MaxItemsPerHold))
        {
            try
            {
                await send(batch, cancellationToken).ConfigureAwait(false);
            }
            catch (DirectoryException ex) when (ex.Code == ErrorCode.Busy)
            {
                // Over the directory's limit of partial contents per peer: the downloads go on,
                // found by no one else until the peer registers again.
                logger.LogWarning("the directory did not list {Count} contents this peer holds in part: {Reason}", batch.Length, ex.Message);
                lock (_lock)
                {
                    _refused = true;
                }

                return;
            }
            catch (DirectoryException ex)
            {
                logger.LogDebug("holdings not announced: {Reason}", ex.Message);
                return;
            }

            lock (_lock)
            {
                foreach (var item in batch)
                {
                    if (item.Held == 0)
                    {
                        _announced.Remove(item.Id);
                    }
                    else
                    {
                        _announced[item.Id] = item;
                    }
                }
            }
        }
    }
}
