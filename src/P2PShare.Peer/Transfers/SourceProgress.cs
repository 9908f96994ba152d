using System.Diagnostics;

namespace P2PShare.Peer;

/// <summary>What one source contributed to a download: bytes, speed, and why it was dropped, if it was.</summary>
public sealed class SourceProgress
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _bytes;
    private long _chunks;
    private long _activeTicksAtEnd = -1;
    private volatile string? _droppedReason;

    // Why it was dropped before it was taken on again: it stands while the new run has delivered
    // nothing, so a source that comes back only to fail again is not shown as done.
    private volatile string? _earlierDrop;

    internal SourceProgress(string source)
    {
        Source = source;
    }

    /// <summary>The source as <c>address:port</c>.</summary>
    public string Source { get; }

    public long BytesReceived => Interlocked.Read(ref _bytes);

    public long ChunksReceived => Interlocked.Read(ref _chunks);

    /// <summary>
    /// Whether the source held only part of the file when it was taken on (a peer downloading it
    /// too): it serves the chunks it has verified.
    /// </summary>
    public bool IsPartial { get; private set; }

    /// <summary>Chunks a partial source held at its latest map, and the file's chunk count (0 when not known).</summary>
    public (int Held, int Of) HeldChunks => (Volatile.Read(ref _heldChunks), Volatile.Read(ref _chunkCount));

    private int _heldChunks;
    private int _chunkCount;

    /// <summary>
    /// Null while the source is used or when it finished normally; otherwise why it was dropped
    /// (also when it was taken on again after a drop and ended without delivering a chunk).
    /// </summary>
    public string? DroppedReason => _droppedReason ?? (IsActive ? null : _earlierDrop);

    public bool IsActive => Interlocked.Read(ref _activeTicksAtEnd) < 0;

    public TimeSpan ActiveTime
    {
        get
        {
            var end = Interlocked.Read(ref _activeTicksAtEnd);
            return end >= 0 ? TimeSpan.FromTicks(end) : _clock.Elapsed;
        }
    }

    public double BytesPerSecond => ActiveTime.TotalSeconds > 0 ? BytesReceived / ActiveTime.TotalSeconds : 0;

    internal void AddChunk(long bytes)
    {
        Interlocked.Add(ref _bytes, bytes);
        Interlocked.Increment(ref _chunks);
        _earlierDrop = null;
    }

    /// <summary>The source is taken on (again, after a back-off, when it was dropped before).</summary>
    internal void Start(bool partial)
    {
        IsPartial = partial;
        _earlierDrop = _droppedReason ?? _earlierDrop;
        _droppedReason = null;
        Interlocked.Exchange(ref _activeTicksAtEnd, -1);
    }

    internal void SetHeld(int held, int of)
    {
        Volatile.Write(ref _chunkCount, of);
        Volatile.Write(ref _heldChunks, held);
    }

    internal void Drop(string reason)
    {
        _droppedReason = reason;
        Stop();
    }

    internal void Stop() => Interlocked.CompareExchange(ref _activeTicksAtEnd, _clock.Elapsed.Ticks, -1);
}
