using System.Collections.Concurrent;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// The downloads this peer holds in part, by content id: what its upload server serves besides
/// its shared files (HASHES, CHUNKS, and GETs by id), and what it announces to the directory with
/// HOLD. A download adds itself once its file is claimed and removes itself when it ends.
/// </summary>
public sealed class HeldDownloads
{
    private readonly ConcurrentDictionary<ContentId, HeldDownload> _held = new();

    /// <summary>Completes (and is replaced) whenever a download is added or removed.</summary>
    private readonly ChangeSignal _changed = new();

    public int Count => _held.Count;

    /// <summary>The downloads held now.</summary>
    public IReadOnlyList<HeldDownload> All => [.. _held.Values];

    /// <summary>Signals a change in the set (not in what each holds: that is read when announcing).</summary>
    internal ChangeSignal Changed => _changed;

    public bool TryGet(ContentId id, out HeldDownload held) => _held.TryGetValue(id, out held!);

    /// <summary>Adds <paramref name="held"/>; false when a download of the same content is held already (the first one serves).</summary>
    public bool TryAdd(HeldDownload held)
    {
        ArgumentNullException.ThrowIfNull(held);
        if (!_held.TryAdd(held.Id, held))
        {
            return false;
        }

        _changed.Pulse();
        return true;
    }

    /// <summary>Removes <paramref name="held"/> if it is the one held for its content; the caller disposes it.</summary>
    public bool Remove(HeldDownload held)
    {
        ArgumentNullException.ThrowIfNull(held);
        if (!_held.TryRemove(new KeyValuePair<ContentId, HeldDownload>(held.Id, held)))
        {
            return false;
        }

        _changed.Pulse();
        return true;
    }
}
