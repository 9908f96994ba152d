using System.Buffers;

namespace P2PShare.Peer;

/// <summary>
/// The chunk buffers of one download: at most <c>capacity</c> of them exist at once, so a
/// download's memory stays bounded however far the network runs ahead of verification and
/// writing. A receiver that finds none free waits until one comes back. Buffers come from
/// <see cref="ArrayPool{T}.Shared"/> the first time they are needed and go back to it on
/// <see cref="Dispose"/>; renting and returning allocate nothing.
/// </summary>
internal sealed class ChunkBufferPool : IDisposable
{
    private readonly int _bufferSize;
    private readonly SemaphoreSlim _available;
    private readonly Stack<byte[]> _free;
    private readonly Lock _lock = new();
    private bool _disposed;

    public ChunkBufferPool(int capacity, int bufferSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferSize);
        _bufferSize = bufferSize;
        _available = new SemaphoreSlim(capacity, capacity);
        _free = new Stack<byte[]>(capacity);
    }

    /// <summary>Waits for a free buffer of at least the buffer size.</summary>
    public async ValueTask<byte[]> RentAsync(CancellationToken cancellationToken)
    {
        await _available.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            if (_free.TryPop(out var buffer))
            {
                return buffer;
            }
        }

        return ArrayPool<byte>.Shared.Rent(_bufferSize);
    }

    public void Return(byte[] buffer)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                return;
            }

            _free.Push(buffer);
        }

        _available.Release();
    }

    /// <summary>Gives the free buffers back to the shared pool; one still out goes back when it is returned.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            while (_free.TryPop(out var buffer))
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        _available.Dispose();
    }
}
