using P2PShare.Peer;

namespace P2PShare.Tests.Peer;

public sealed class ChunkSchedulerTests
{
    [Fact]
    public void Missing_chunks_go_out_in_order_one_source_each()
    {
        var scheduler = new ChunkScheduler(4);

        Assert.Equal(0, scheduler.Next("a"));
        Assert.Equal(1, scheduler.Next("b"));
        Assert.Equal(2, scheduler.Next("a"));
        Assert.Equal(3, scheduler.Next("b"));
    }

    [Fact]
    public void Chunks_already_verified_are_never_assigned()
    {
        var scheduler = new ChunkScheduler(4, [0, 2]);

        Assert.Equal(2, scheduler.DoneCount);
        Assert.Equal(1, scheduler.Next("a"));
        Assert.Equal(3, scheduler.Next("a"));
    }

    [Fact]
    public void A_faster_source_that_asks_more_often_gets_more_chunks()
    {
        var scheduler = new ChunkScheduler(10);
        var fast = new List<int>();
        var slow = new List<int>();
        slow.Add(scheduler.Next("slow")!.Value);
        while (scheduler.Next("fast") is { } chunk)
        {
            fast.Add(chunk);
            scheduler.Complete(chunk, "fast");
            if (fast.Count >= 9)
            {
                break;
            }
        }

        Assert.Single(slow);
        Assert.Equal(9, fast.Count);
    }

    [Fact]
    public void A_failed_chunk_goes_back_to_the_pool_for_another_source()
    {
        var scheduler = new ChunkScheduler(2);
        var chunk = scheduler.Next("bad")!.Value;

        scheduler.Release(chunk, "bad");

        Assert.Equal(chunk, scheduler.Next("good"));
    }

    [Fact]
    public void Dropping_a_source_releases_all_its_chunks()
    {
        var scheduler = new ChunkScheduler(5);
        scheduler.Next("liar");
        scheduler.Next("liar");
        scheduler.Next("honest");

        var released = scheduler.DropSource("liar");

        Assert.Equal([0, 1], released);
        Assert.Equal(0, scheduler.Next("honest"));
        Assert.Equal(1, scheduler.Next("honest"));
        Assert.Equal(3, scheduler.Next("honest"));
    }

    [Fact]
    public void End_game_asks_a_second_source_for_an_outstanding_chunk_and_the_first_copy_wins()
    {
        var scheduler = new ChunkScheduler(2);
        var slowChunk = scheduler.Next("slow")!.Value;
        var fastChunk = scheduler.Next("fast")!.Value;
        Assert.True(scheduler.Complete(fastChunk, "fast"));

        // Nothing is missing any more, so the fast source duplicates the slow one's chunk.
        Assert.Equal(slowChunk, scheduler.Next("fast"));
        // A chunk is never asked of more than two sources, nor twice of one.
        Assert.Null(scheduler.Next("third"));
        Assert.Null(scheduler.Next("fast"));

        Assert.True(scheduler.Complete(slowChunk, "fast"));
        Assert.False(scheduler.Complete(slowChunk, "slow"));
        Assert.True(scheduler.IsComplete);
    }

    [Fact]
    public void End_game_leaves_alone_a_chunk_received_and_waiting_for_verification()
    {
        var scheduler = new ChunkScheduler(3);
        var received = scheduler.Next("a")!.Value;
        var outstanding = scheduler.Next("a")!.Value;
        scheduler.Complete(scheduler.Next("b")!.Value, "b");
        scheduler.Received(received, "a");

        // Only the chunk still on its way is worth asking another source for.
        Assert.Equal(outstanding, scheduler.Next("b"));
        Assert.Null(scheduler.Next("b"));
        Assert.Null(scheduler.Next("c"));
    }

    [Fact]
    public void A_received_chunk_whose_source_is_dropped_goes_back_to_the_pool()
    {
        var scheduler = new ChunkScheduler(1);
        scheduler.Received(scheduler.Next("liar")!.Value, "liar");
        Assert.Null(scheduler.Next("honest"));

        // Its bytes failed verification: the source is dropped and the chunk is missing again.
        scheduler.DropSource("liar");

        Assert.Equal(0, scheduler.Next("honest"));
    }

    [Fact]
    public void Received_from_a_source_that_does_not_hold_the_chunk_changes_nothing()
    {
        var scheduler = new ChunkScheduler(1);
        scheduler.Next("a");
        scheduler.Received(0, "stranger");

        Assert.Equal(0, scheduler.Next("b"));
    }

    [Fact]
    public void A_duplicate_that_fails_leaves_the_chunk_with_the_other_source()
    {
        var scheduler = new ChunkScheduler(1);
        scheduler.Next("slow");
        scheduler.Next("fast");

        scheduler.DropSource("fast");

        // Still in flight at the slow source: not handed out again as missing...
        Assert.Null(scheduler.Next("slow"));
        // ...but a new source may help with it.
        Assert.Equal(0, scheduler.Next("new"));
    }

    [Fact]
    public void Nothing_to_do_once_every_chunk_is_verified()
    {
        var scheduler = new ChunkScheduler(1);
        scheduler.Complete(scheduler.Next("a")!.Value, "a");

        Assert.Null(scheduler.Next("a"));
        Assert.Null(scheduler.Next("b"));
        Assert.True(scheduler.IsComplete);
    }

    [Fact]
    public void An_empty_file_is_complete_from_the_start()
    {
        var scheduler = new ChunkScheduler(0);

        Assert.True(scheduler.IsComplete);
        Assert.Null(scheduler.Next("a"));
    }
}
