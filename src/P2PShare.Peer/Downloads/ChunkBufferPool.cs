namespace P2PShare.Peer;

/// <summary>
/// The chunk buffers of one download: at most <c>capacity</c> of them exist at once, so a
/// download's memory stays bounded however far the network runs ahead of verification and
/// writing. A receiver that finds none free waits until one comes back. A buffer is allocated
/// (aligned, see <see cref="ChunkBuffer"/>) the first time it is needed and reused after that;
/// renting and returning allocate nothing.
/// </summary>
internal sealed class ChunkBufferPool : IDisposable
{
    private readonly int _bufferSize;
    private readonly SemaphoreSlim _available;
    private readonly Stack<ChunkBuffer> _free;
    private readonly Lock _lock = new();
    private bool _disposed;

    public ChunkBufferPool(int capacity, int bufferSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferSize);
        _bufferSize = bufferSize;
        _available = new SemaphoreSlim(capacity, capacity);
        _free = new Stack<ChunkBuffer>(capacity);
    }

    /// <summary>Waits for a free buffer of the buffer size.</summary>
    public async ValueTask<ChunkBuffer> RentAsync(CancellationToken cancellationToken)
    {
        await _available.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            if (_free.TryPop(out var buffer))
            {
                return buffer;
            }
        }

        return new ChunkBuffer(_bufferSize);
    }

    public void Return(ChunkBuffer buffer)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _free.Push(buffer);
        }

        _available.Release();
    }

    /// <summary>Drops the free buffers (the garbage collector takes them, and any still out once they are returned).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _free.Clear();
        }

        _available.Dispose();
    }
}
