using System.Runtime.InteropServices;
using P2PShare.Peer;

namespace P2PShare.Tests.Peer;

/// <summary>The bounded pool of chunk buffers of one download.</summary>
public sealed class DownloadBufferPoolTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task No_more_than_the_capacity_is_out_at_once_and_a_returned_buffer_is_handed_out_again()
    {
        using var pool = new ChunkBufferPool(capacity: 2, bufferSize: 1000);
        var first = await pool.RentAsync(Token);
        var second = await pool.RentAsync(Token);
        Assert.Equal(1000, first.Size);
        Assert.NotSame(first, second);

        var third = pool.RentAsync(Token);
        Assert.False(third.IsCompleted);

        pool.Return(second);
        Assert.Same(second, await third);
    }

    [Fact]
    public async Task Every_buffer_starts_on_a_direct_io_boundary()
    {
        using var pool = new ChunkBufferPool(capacity: 8, bufferSize: 4096 * 3);
        for (var i = 0; i < 8; i++)
        {
            var buffer = await pool.RentAsync(Token);
            Assert.True(MemoryMarshal.TryGetArray<byte>(buffer.Memory(100), out var segment));
            var address = Marshal.UnsafeAddrOfPinnedArrayElement(segment.Array!, segment.Offset);
            Assert.Equal(0, address % PartFile.Alignment);
            Assert.Equal(4096 * 3, buffer.Span(4096 * 3).Length);
        }
    }

    [Fact]
    public async Task A_buffer_returned_after_the_pool_is_disposed_is_dropped_quietly()
    {
        var pool = new ChunkBufferPool(capacity: 1, bufferSize: 10);
        var buffer = await pool.RentAsync(Token);
        pool.Dispose();
        pool.Return(buffer);
    }

    [Fact]
    public async Task A_wait_for_a_buffer_ends_when_it_is_cancelled()
    {
        using var pool = new ChunkBufferPool(capacity: 1, bufferSize: 10);
        _ = await pool.RentAsync(Token);
        using var cancel = new CancellationTokenSource();
        var waiting = pool.RentAsync(cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }
}
