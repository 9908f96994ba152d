namespace P2PShare.Peer;

/// <summary>
/// Decides which chunk each source fetches next. Sources pull: a source asks for its next chunk
/// whenever it has room, so faster sources get more chunks by themselves. Missing chunks go out
/// in order; once none is left unassigned (the end game), a source with room gets a chunk that
/// another source still has in flight, so one slow source cannot hold up the end — each chunk
/// goes to at most two sources at once, and the first verified copy wins. A chunk received in full
/// and waiting for verification is not handed out again: only a failed verification (which drops
/// its source) can send it back. A failed or dropped source's chunks go back to the pool. Pure
/// bookkeeping: no sockets, no clock, thread-safe.
/// </summary>
public sealed class ChunkScheduler
{
    private const int MaxSourcesPerChunk = 2;

    private readonly Lock _lock = new();
    private readonly bool[] _done;
    private readonly List<string>?[] _inFlight;
    private readonly string?[] _receivedBy;
    private readonly SortedSet<int> _missing = [];
    private int _doneCount;

    public ChunkScheduler(int chunkCount, IEnumerable<int>? alreadyDone = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(chunkCount);
        _done = new bool[chunkCount];
        _inFlight = new List<string>?[chunkCount];
        _receivedBy = new string?[chunkCount];
        foreach (var chunk in alreadyDone ?? [])
        {
            if (!_done[chunk])
            {
                _done[chunk] = true;
                _doneCount++;
            }
        }

        for (var chunk = 0; chunk < chunkCount; chunk++)
        {
            if (!_done[chunk])
            {
                _missing.Add(chunk);
            }
        }
    }

    public int ChunkCount => _done.Length;

    public int DoneCount
    {
        get
        {
            lock (_lock)
            {
                return _doneCount;
            }
        }
    }

    public bool IsComplete => DoneCount == ChunkCount;

    /// <summary>
    /// The next chunk for <paramref name="source"/> to fetch, now recorded as in flight there;
    /// null when there is nothing useful for it to do at the moment.
    /// </summary>
    public int? Next(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        lock (_lock)
        {
            if (_missing.Count > 0)
            {
                var chunk = _missing.Min;
                _missing.Remove(chunk);
                (_inFlight[chunk] ??= []).Add(source);
                return chunk;
            }

            // End game: help with a chunk another source is still fetching.
            for (var chunk = 0; chunk < _done.Length; chunk++)
            {
                var holders = _inFlight[chunk];
                if (!_done[chunk] && _receivedBy[chunk] is null && holders is { Count: > 0 and < MaxSourcesPerChunk } && !holders.Contains(source))
                {
                    holders.Add(source);
                    return chunk;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// Records that <paramref name="source"/> delivered every byte of <paramref name="chunk"/>,
    /// now waiting for verification: the end game no longer asks another source for it.
    /// </summary>
    public void Received(int chunk, string source)
    {
        lock (_lock)
        {
            if (_inFlight[chunk]?.Contains(source) == true)
            {
                _receivedBy[chunk] ??= source;
            }
        }
    }

    /// <summary>
    /// Records a verified chunk from <paramref name="source"/>. Returns true when this is the
    /// first copy (write it), false when another source delivered it first (discard it).
    /// </summary>
    public bool Complete(int chunk, string source)
    {
        lock (_lock)
        {
            _inFlight[chunk]?.Remove(source);
            if (_done[chunk])
            {
                return false;
            }

            _done[chunk] = true;
            _doneCount++;
            _missing.Remove(chunk);
            return true;
        }
    }

    /// <summary>Gives a chunk back: <paramref name="source"/> will not deliver it.</summary>
    public void Release(int chunk, string source)
    {
        lock (_lock)
        {
            ReleaseLocked(chunk, source);
        }
    }

    /// <summary>Gives back every chunk <paramref name="source"/> had in flight; returns them.</summary>
    public IReadOnlyList<int> DropSource(string source)
    {
        lock (_lock)
        {
            var released = new List<int>();
            for (var chunk = 0; chunk < _inFlight.Length; chunk++)
            {
                if (_inFlight[chunk]?.Contains(source) == true)
                {
                    ReleaseLocked(chunk, source);
                    released.Add(chunk);
                }
            }

            return released;
        }
    }

    public bool IsDone(int chunk)
    {
        lock (_lock)
        {
            return _done[chunk];
        }
    }

    /// <summary>The chunks verified so far, in order.</summary>
    public IReadOnlyList<int> DoneChunks()
    {
        lock (_lock)
        {
            return [.. Enumerable.Range(0, _done.Length).Where(c => _done[c])];
        }
    }

    private void ReleaseLocked(int chunk, string source)
    {
        var holders = _inFlight[chunk];
        holders?.Remove(source);
        if (_receivedBy[chunk] == source)
        {
            _receivedBy[chunk] = null;
        }

        if (!_done[chunk] && (holders is null || holders.Count == 0))
        {
            _missing.Add(chunk);
        }
    }
}
