namespace P2PShare.Directory;

/// <summary>
/// A reader/writer lock that alternates phases: readers that arrive while a writer holds the
/// lock or waits for it are let in together as soon as that writer is done, before the next
/// writer, and a writer waits only for the readers already inside. So neither side can starve
/// the other: a reader waits for at most one writer, a writer for at most one group of readers.
/// </summary>
/// <remarks>
/// <see cref="ReaderWriterLockSlim"/> prefers writers: while any writer waits, new readers
/// wait too, and a steady stream of registrations (a flood from one client is one) kept every
/// search waiting for seconds. With phases, the registry's promise — every hold is short
/// (searches and compaction copy work in slices, see <see cref="InMemoryPeerRegistry"/>) —
/// turns into a short wait for everyone. Waiting blocks the thread (holds are short), so it must
/// not be entered recursively, and a holder must not await while holding it.
/// </remarks>
internal sealed class PhaseFairLock
{
    // A plain object, not a Lock: waiting uses Monitor.Wait, which needs the monitor held.
    private readonly object _gate = new();
    private int _activeReaders;
    private int _waitingReaders;
    private int _waitingWriters;
    private bool _writerActive;

    // Bumped each time a writer lets the readers that queued behind it in: a waiting reader
    // leaves its wait when the ticket it saw has changed (it has been counted in by then).
    private long _readPhase;

    /// <summary>Readers and writers waiting to get in (for tests).</summary>
    internal (int Readers, int Writers) Waiting
    {
        get
        {
            lock (_gate)
            {
                return (_waitingReaders, _waitingWriters);
            }
        }
    }

    public void EnterRead()
    {
        lock (_gate)
        {
            if (!_writerActive && _waitingWriters == 0)
            {
                _activeReaders++;
                return;
            }

            _waitingReaders++;
            var phase = _readPhase;
            while (_readPhase == phase)
            {
                Monitor.Wait(_gate);
            }
        }
    }

    public void ExitRead()
    {
        lock (_gate)
        {
            if (--_activeReaders == 0 && _waitingWriters > 0)
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    public void EnterWrite()
    {
        lock (_gate)
        {
            _waitingWriters++;
            while (_writerActive || _activeReaders > 0)
            {
                Monitor.Wait(_gate);
            }

            _waitingWriters--;
            _writerActive = true;
        }
    }

    public void ExitWrite()
    {
        lock (_gate)
        {
            _writerActive = false;
            if (_waitingReaders > 0)
            {
                // The readers that queued behind this writer go first, as one group.
                _activeReaders += _waitingReaders;
                _waitingReaders = 0;
                _readPhase++;
            }

            Monitor.PulseAll(_gate);
        }
    }
}
