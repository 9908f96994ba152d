using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// The chunks of one download that are written to its <c>.part</c>, and the resume record file
/// that lists them (<see cref="ResumeRecordFormat"/>), held open. Rewriting the record for every
/// chunk would cost a write per MiB, so it is rewritten at most once per <c>interval</c> and
/// whenever <see cref="Flush"/> is called (when a download stops or fails). A chunk is marked only
/// after its bytes are written, so the record on disk may lag behind the <c>.part</c> but never
/// runs ahead of it; what it misses is fetched again on resume. Each rewrite goes in place into
/// the slot of the older copy, so it needs no disk space: a disk that fills up during a download
/// does not keep its verified chunks from being recorded.
/// </summary>
internal sealed class ResumeRecord
{
    private readonly Lock _lock = new();
    private readonly SafeFileHandle _file;
    private readonly ContentId _id;
    private readonly ulong _size;
    private readonly int _chunkCount;
    private readonly byte[] _bitmap;
    private readonly byte[] _slot;
    private readonly long _intervalTicks;
    private ulong _sequence;
    private long _lastWrite;
    private int _storedCount;
    private bool _dirty;

    /// <summary>
    /// A tracker for the record file <paramref name="file"/> (open for writing,
    /// <see cref="ResumeRecordFormat.FileLength"/> bytes long, not owned), whose newest copy has
    /// <paramref name="sequence"/> (the next write goes into the other slot), starting from the
    /// chunks <paramref name="written"/> already (those verified on resume).
    /// </summary>
    public ResumeRecord(SafeFileHandle file, ulong sequence, ContentId id, ulong size, int chunkCount, IReadOnlyCollection<int> written, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(written);
        _file = file;
        _sequence = sequence;
        _id = id;
        _size = size;
        _chunkCount = chunkCount;
        _bitmap = ResumeRecordFormat.Bitmap(chunkCount, written);
        _slot = new byte[ResumeRecordFormat.SlotLength(chunkCount)];
        _storedCount = written.Count;
        _intervalTicks = interval == Timeout.InfiniteTimeSpan ? long.MaxValue : (long)(interval.TotalSeconds * Stopwatch.Frequency);
        _lastWrite = Stopwatch.GetTimestamp();
    }

    /// <summary>Chunks written so far (this run's and those verified on resume).</summary>
    public int StoredCount
    {
        get
        {
            lock (_lock)
            {
                return _storedCount;
            }
        }
    }

    /// <summary>
    /// Records that <paramref name="chunk"/>'s bytes are written; rewrites the record when the
    /// last write is at least the interval ago. Call it only once the write has completed.
    /// </summary>
    public void MarkWritten(int chunk)
    {
        // One record at a time, and the bitmap does not change while one is encoded.
        lock (_lock)
        {
            ResumeRecordFormat.Mark(_bitmap, chunk);
            _storedCount++;
            _dirty = true;
            if (Stopwatch.GetTimestamp() - _lastWrite >= _intervalTicks)
            {
                WriteLocked();
            }
        }
    }

    /// <summary>Rewrites the record now when it misses chunks written since the last write.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            if (_dirty)
            {
                WriteLocked();
            }
        }
    }

    /// <summary>Rewrites the record now (after a resume's re-check, which may have found fewer chunks than it listed).</summary>
    public void Rewrite()
    {
        lock (_lock)
        {
            WriteLocked();
        }
    }

    private void WriteLocked()
    {
        var sequence = _sequence + 1;
        ResumeRecordFormat.EncodeSlot(_slot, sequence, _id, _size, _chunkCount, _bitmap);
        RandomAccess.Write(_file, _slot, ResumeRecordFormat.SlotOffset(sequence, _chunkCount));
        _sequence = sequence;
        _dirty = false;
        _lastWrite = Stopwatch.GetTimestamp();
    }
}
