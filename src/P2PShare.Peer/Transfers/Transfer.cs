using System.Collections.Concurrent;
using System.Diagnostics;

namespace P2PShare.Peer;

public enum TransferDirection
{
    Upload,
    Download,
}

public enum TransferState
{
    Running,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>
/// One upload or download, as the transfers view shows it. Byte counts are updated by the
/// transfer's own task and read by the menu at any time, hence the interlocked fields.
/// </summary>
public sealed class Transfer
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentDictionary<string, SourceProgress> _sources = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<ContentSwitch> _contentSwitches = new();
    private long _bytesDone;
    private long _totalBytes;
    private long _elapsedTicksAtEnd = -1;
    private volatile string _peer;
    private volatile string? _error;
    private volatile string? _resultPath;
    private int _state;

    internal Transfer(int number, TransferDirection direction, string peer, string fileName, long totalBytes)
    {
        Number = number;
        Direction = direction;
        _peer = peer;
        FileName = fileName;
        _totalBytes = totalBytes;
        StartedAt = DateTimeOffset.Now;
    }

    public int Number { get; }

    public TransferDirection Direction { get; }

    /// <summary>The other side as <c>address:port</c> (for a download, the current source).</summary>
    public string Peer
    {
        get => _peer;
        internal set => _peer = value;
    }

    public string FileName { get; }

    public DateTimeOffset StartedAt { get; }

    public long TotalBytes
    {
        get => Interlocked.Read(ref _totalBytes);
        internal set => Interlocked.Exchange(ref _totalBytes, value);
    }

    public long BytesDone => Interlocked.Read(ref _bytesDone);

    public TransferState State => (TransferState)Volatile.Read(ref _state);

    public bool IsFinished => State != TransferState.Running;

    /// <summary>Why the transfer failed, or a note on how it ended.</summary>
    public string? Error => _error;

    /// <summary>For a completed download: where the verified file now is.</summary>
    public string? ResultPath => _resultPath;

    public TimeSpan Elapsed
    {
        get
        {
            var end = Interlocked.Read(ref _elapsedTicksAtEnd);
            return end >= 0 ? TimeSpan.FromTicks(end) : _clock.Elapsed;
        }
    }

    /// <summary>Average speed over the transfer's life, in bytes per second.</summary>
    public double BytesPerSecond
    {
        get
        {
            var seconds = Elapsed.TotalSeconds;
            return seconds > 0 ? BytesDone / seconds : 0;
        }
    }

    /// <summary>0 to 1.</summary>
    public double Progress
    {
        get
        {
            var total = TotalBytes;
            if (total <= 0)
            {
                return State == TransferState.Completed ? 1 : 0;
            }

            return Math.Clamp((double)BytesDone / total, 0, 1);
        }
    }

    /// <summary>For a download: every source used so far, by address.</summary>
    public IReadOnlyList<SourceProgress> Sources => [.. _sources.Values.OrderBy(s => s.Source, StringComparer.Ordinal)];

    /// <summary>For a download: the contents found under its name that it gave up on, and why, in order.</summary>
    public IReadOnlyList<ContentSwitch> ContentSwitches => [.. _contentSwitches];

    internal SourceProgress Source(string source) => _sources.GetOrAdd(source, static name => new SourceProgress(name));

    internal void SwitchContent(ContentSwitch contentSwitch) => _contentSwitches.Enqueue(contentSwitch);

    internal void AddBytes(long count) => Interlocked.Add(ref _bytesDone, count);

    internal void ResetBytes() => Interlocked.Exchange(ref _bytesDone, 0);

    internal void Complete(string? resultPath = null) => Finish(TransferState.Completed, null, resultPath);

    internal void Fail(string error) => Finish(TransferState.Failed, error, null);

    internal void Cancel(string reason) => Finish(TransferState.Cancelled, reason, null);

    /// <summary>The first end reported wins; a later one (a cancel racing a failure, say) changes nothing.</summary>
    private void Finish(TransferState state, string? error, string? resultPath)
    {
        if (Interlocked.CompareExchange(ref _state, (int)state, (int)TransferState.Running) != (int)TransferState.Running)
        {
            return;
        }

        _error = error;
        _resultPath = resultPath;
        Interlocked.Exchange(ref _elapsedTicksAtEnd, _clock.Elapsed.Ticks);
    }
}
