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
        Assert.True(first.Length >= 1000);
        Assert.NotSame(first, second);

        var third = pool.RentAsync(Token);
        Assert.False(third.IsCompleted);

        pool.Return(second);
        Assert.Same(second, await third);
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
