namespace P2PShare.Peer;

/// <summary>
/// Decides which chunk each source fetches next. Sources pull: a source asks for its next chunk
/// whenever it has room, so faster sources get more chunks by themselves. A source holding the
/// whole file is given missing chunks in file order, from a start chosen at random when the
/// download asks for it (downloaders of one file starting together then begin at different
/// places instead of all asking for chunk 0). Once a partial source is known (its chunks set by
/// <see cref="SetAvailability"/>), each source is given the rarest missing chunk it holds, rarity
/// counted over the partial sources known (a chunk a partial source is fetching counts as held:
/// it soon will be), a random one among the equally rare: the crowd then spreads the file
/// instead of all fetching the same chunks, and downloaders seldom ask the seeder for a chunk
/// another downloader is already being sent. Once no missing chunk is left
/// unassigned (the end game), a source with room gets a chunk that another source still has in
/// flight, so one slow source cannot hold up the end — each chunk goes to at most two sources at
/// once, and the first verified copy wins. A chunk received in full and waiting for verification
/// is not handed out again: only a failed verification (which drops its source) can send it back.
/// A failed or dropped source's chunks go back to the pool. Pure bookkeeping: no sockets, no
/// clock, thread-safe.
/// </summary>
public sealed class ChunkScheduler : IChunksInFlight
{
    private const int MaxSourcesPerChunk = 2;

    private readonly Lock _lock = new();
    private readonly bool[] _done;
    private readonly List<string>?[] _inFlight;
    private readonly string?[] _receivedBy;
    private readonly SortedSet<int> _missing = [];
    private readonly Dictionary<string, ChunkSet> _partialSources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ChunkSet> _fetchingAt = new(StringComparer.Ordinal);
    private readonly int[] _holders;
    private readonly Random? _random;
    private int _doneCount;
    private int _cursor;

    /// <summary>
    /// Most missing chunks looked at to find the rarest one a source holds: on a file of
    /// hundreds of thousands of chunks, a window from a random place is enough to spread the
    /// work, and each request costs a bounded time under the lock.
    /// </summary>
    internal const int RarestScanLimit = 4096;

    /// <param name="chunkCount">Chunks of the file.</param>
    /// <param name="alreadyDone">Chunks verified before (a resume).</param>
    /// <param name="random">
    /// Null keeps whole sources in file order from chunk 0 and breaks ties between equally rare
    /// chunks by order too; otherwise the source of the random start and of the choice among
    /// equals.
    /// </param>
    public ChunkScheduler(int chunkCount, IEnumerable<int>? alreadyDone = null, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(chunkCount);
        _done = new bool[chunkCount];
        _inFlight = new List<string>?[chunkCount];
        _receivedBy = new string?[chunkCount];
        _holders = new int[chunkCount];
        _random = random;
        _cursor = random is null || chunkCount == 0 ? 0 : random.Next(chunkCount);
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

    /// <summary>Partial sources known now.</summary>
    public int PartialSourceCount
    {
        get
        {
            lock (_lock)
            {
                return _partialSources.Count;
            }
        }
    }

    /// <summary>
    /// Sets the chunks <paramref name="source"/> holds (its latest CHUNK_MAP): from now on it is
    /// given only those, and they count in the rarity of each chunk, as do those it is
    /// <paramref name="fetching"/>. Null makes it a source of the whole file again. The sets must
    /// not change afterwards (a newer map is a new set).
    /// </summary>
    public void SetAvailability(string source, ChunkSet? chunks, ChunkSet? fetching = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (chunks is not null && chunks.ChunkCount != _done.Length)
        {
            throw new ArgumentException($"a map of {chunks.ChunkCount} chunks for a file of {_done.Length}", nameof(chunks));
        }

        if (fetching is not null && (chunks is null || fetching.ChunkCount != _done.Length))
        {
            throw new ArgumentException("chunks being fetched come with a partial source's map of as many chunks", nameof(fetching));
        }

        lock (_lock)
        {
            ForgetMaps(source);
            if (chunks is not null)
            {
                _partialSources[source] = chunks;
                Count(chunks, +1);
            }

            if (fetching is not null)
            {
                _fetchingAt[source] = fetching;
                Count(fetching, +1);
            }
        }
    }

    /// <summary>Writes the bitmap of the chunks some source is fetching for this download now (for this peer's CHUNK_MAP).</summary>
    public void WriteInFlight(Span<byte> bitmap)
    {
        lock (_lock)
        {
            for (var chunk = 0; chunk < _done.Length; chunk++)
            {
                if (!_done[chunk] && _inFlight[chunk] is { Count: > 0 })
                {
                    P2PShare.Protocol.ChunkBitmap.Set(bitmap, chunk);
                }
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="source"/> holds a chunk this download still needs and nobody is
    /// fetching: a partial source that holds none is only worth asking again for its map later.
    /// </summary>
    public bool HasWorkFor(string source)
    {
        lock (_lock)
        {
            if (!_partialSources.TryGetValue(source, out var chunks))
            {
                return _missing.Count > 0;
            }

            foreach (var chunk in _missing)
            {
                if (chunks.Contains(chunk))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// The next chunk for <paramref name="source"/> to fetch, now recorded as in flight there;
    /// null when there is nothing useful for it to do at the moment.
    /// </summary>
    public int? Next(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        lock (_lock)
        {
            _partialSources.TryGetValue(source, out var holds);
            var next = _partialSources.Count == 0 ? NextInOrder() : NextRarest(holds);
            if (next is { } chunk)
            {
                _missing.Remove(chunk);
                (_inFlight[chunk] ??= []).Add(source);
                return chunk;
            }

            if (_missing.Count > 0)
            {
                // Chunks are still unassigned, only not at this (partial) source: doubling up
                // on another source's chunk now would only waste both sources' uploads.
                return null;
            }

            // End game: help with a chunk another source is still fetching.
            for (var candidate = 0; candidate < _done.Length; candidate++)
            {
                var fetching = _inFlight[candidate];
                if (!_done[candidate] && _receivedBy[candidate] is null && fetching is { Count: > 0 and < MaxSourcesPerChunk } && !fetching.Contains(source) && (holds is null || holds.Contains(candidate)))
                {
                    fetching.Add(source);
                    return candidate;
                }
            }

            return null;
        }
    }

    /// <summary>With whole sources only: the first missing chunk from the cursor on, wrapping around.</summary>
    private int? NextInOrder()
    {
        if (_missing.Count == 0)
        {
            return null;
        }

        if (_cursor == 0)
        {
            return _missing.Min;
        }

        var after = _missing.GetViewBetween(_cursor, _done.Length - 1);
        var chunk = after.Count > 0 ? after.Min : _missing.Min;
        _cursor = chunk + 1 == _done.Length ? 0 : chunk + 1;
        return chunk;
    }

    /// <summary>
    /// The rarest missing chunk that a source holding <paramref name="holds"/> (null: all) can
    /// give, among at most <see cref="RarestScanLimit"/> of them from a random place; a random one
    /// among the equally rare (the first in order without a random source).
    /// </summary>
    private int? NextRarest(ChunkSet? holds)
    {
        if (_missing.Count == 0)
        {
            return null;
        }

        var start = _random is null ? 0 : _random.Next(_done.Length);
        int? best = null;
        var bestHolders = int.MaxValue;
        var ties = 0;
        var looked = 0;
        foreach (var view in start == 0 ? [_missing] : new[] { _missing.GetViewBetween(start, _done.Length - 1), _missing.GetViewBetween(0, start - 1) })
        {
            foreach (var chunk in view)
            {
                if (holds is not null && !holds.Contains(chunk))
                {
                    continue;
                }

                var holders = _holders[chunk];
                if (holders < bestHolders)
                {
                    (best, bestHolders, ties) = (chunk, holders, 1);
                }
                else if (holders == bestHolders && _random is not null && _random.Next(++ties) == 0)
                {
                    best = chunk;
                }

                if (++looked == RarestScanLimit)
                {
                    return best;
                }
            }
        }

        return best;
    }

    /// <summary>Takes what <paramref name="source"/>'s last map said it holds and is fetching out of the rarity counts.</summary>
    private void ForgetMaps(string source)
    {
        if (_partialSources.Remove(source, out var holds))
        {
            Count(holds, -1);
        }

        if (_fetchingAt.Remove(source, out var fetching))
        {
            Count(fetching, -1);
        }
    }

    private void Count(ChunkSet chunks, int delta)
    {
        for (var chunk = 0; chunk < _holders.Length; chunk++)
        {
            if (chunks.Contains(chunk))
            {
                _holders[chunk] += delta;
            }
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

    /// <summary>Gives back every chunk <paramref name="source"/> had in flight, and forgets what it holds; returns the chunks.</summary>
    public IReadOnlyList<int> DropSource(string source)
    {
        lock (_lock)
        {
            ForgetMaps(source);
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
