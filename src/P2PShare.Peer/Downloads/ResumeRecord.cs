using System.Diagnostics;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// The chunks of one download that are written to its <c>.part</c>, and the resume record that
/// lists them (<see cref="DownloadState"/>). Rewriting the record for every chunk would cost a
/// file write and a rename per MiB, so it is rewritten at most once per <c>interval</c> and
/// whenever <see cref="Flush"/> is called (when a download stops or fails). A chunk is marked only
/// after its bytes are written, so the record on disk may lag behind the <c>.part</c> but never
/// runs ahead of it; what it misses is fetched again on resume.
/// </summary>
internal sealed class ResumeRecord
{
    private readonly Lock _lock = new();
    private readonly string _path;
    private readonly ContentId _id;
    private readonly ulong _size;
    private readonly int _chunkCount;
    private readonly byte[] _bitmap;
    private readonly long _intervalTicks;
    private long _lastWrite;
    private int _storedCount;
    private bool _dirty;

    public ResumeRecord(string path, ContentId id, ulong size, int chunkCount, IReadOnlyCollection<int> written, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(written);
        _path = path;
        _id = id;
        _size = size;
        _chunkCount = chunkCount;
        _bitmap = DownloadState.Bitmap(chunkCount, written);
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
            DownloadState.Mark(_bitmap, chunk);
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

    private void WriteLocked()
    {
        DownloadState.Write(_path, _id, _size, _chunkCount, _bitmap);
        _dirty = false;
        _lastWrite = Stopwatch.GetTimestamp();
    }
}
