using Microsoft.Win32.SafeHandles;

namespace P2PShare.Peer;

/// <summary>
/// One <c>.part</c>'s ranges written through the page cache, handed to
/// <see cref="WriteBehind"/>'s thread: each range's write-back is started, and once more than
/// <see cref="WriteBehind.InFlightPerFile"/> is under way, the oldest is waited for and dropped
/// from the cache. It works on a descriptor of its own (a new open file description, so the
/// <c>.part</c>'s lock goes with the download's descriptor, not with this one), which it closes
/// when the download has closed the file and the last range is on disk.
/// </summary>
internal sealed class WriteBehindFile
{
    private const uint WaitBefore = 1; // SYNC_FILE_RANGE_WAIT_BEFORE
    private const uint Write = 2; // SYNC_FILE_RANGE_WRITE
    private const uint WaitAfter = 4; // SYNC_FILE_RANGE_WAIT_AFTER

    private readonly Lock _lock = new();
    private readonly SafeFileHandle _handle;
    private readonly List<(long Offset, long Length)> _written = [];
    private readonly Queue<(long Offset, long Length)> _started = new();
    private long _startedBytes;
    private bool _queued;
    private bool _closed;

    private WriteBehindFile(SafeFileHandle handle) => _handle = handle;

    /// <summary>
    /// Write-behind for <paramref name="name"/> in <paramref name="folder"/>, which
    /// <paramref name="file"/> has open, when it is at least <see cref="WriteBehind.MinFileLength"/>
    /// long; null otherwise, or when the name no longer names that file.
    /// </summary>
    public static WriteBehindFile? TryStart(DownloadFolder folder, string name, SafeFileHandle file)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!OperatingSystem.IsLinux() || RandomAccess.GetLength(file) < WriteBehind.MinFileLength)
        {
            return null;
        }

        return folder.TryReopen(name, file, LibC.ReadOnly) is { } own ? new(own) : null;
    }

    /// <summary>Notes that <paramref name="length"/> bytes from <paramref name="offset"/> were written; returns at once.</summary>
    public void Written(long offset, long length)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            if (_written.Count > 0 && _written[^1].Offset + _written[^1].Length == offset)
            {
                _written[^1] = (_written[^1].Offset, _written[^1].Length + length);
            }
            else
            {
                _written.Add((offset, length));
            }

            QueueIfIdle();
        }
    }

    /// <summary>The download is done writing: what is still cached is written back and dropped, then the descriptor is closed.</summary>
    public void Close()
    {
        lock (_lock)
        {
            if (!_closed)
            {
                _closed = true;
                QueueIfIdle();
            }
        }
    }

    /// <summary>On <see cref="WriteBehind"/>'s thread: starts write-back of what was written since the last call, waits for and drops the oldest.</summary>
    internal void DoWork()
    {
        (long Offset, long Length)[] written;
        bool closed;
        lock (_lock)
        {
            written = [.. _written];
            _written.Clear();
            closed = _closed;
            _queued = false;
        }

        foreach (var range in written)
        {
            LibC.SyncFileRange(_handle, range.Offset, range.Length, Write);
            _started.Enqueue(range);
            _startedBytes += range.Length;
            while (_startedBytes > WriteBehind.InFlightPerFile)
            {
                DropOldest();
            }
        }

        if (closed)
        {
            while (_started.Count > 0)
            {
                DropOldest();
            }

            _handle.Dispose();
        }
    }

    private void DropOldest()
    {
        var (offset, length) = _started.Dequeue();
        _startedBytes -= length;
        LibC.SyncFileRange(_handle, offset, length, WaitBefore | Write | WaitAfter);
        LibC.DropCached(_handle, offset, length);
    }

    private void QueueIfIdle()
    {
        if (!_queued)
        {
            _queued = true;
            WriteBehind.Queue(this);
        }
    }
}
