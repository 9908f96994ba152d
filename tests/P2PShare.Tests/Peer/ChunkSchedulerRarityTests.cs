using P2PShare.Peer;

namespace P2PShare.Tests.Peer;

/// <summary>Rarest first among partial sources (issue 14): what each source is given once chunk maps are known.</summary>
public sealed class ChunkSchedulerRarityTests
{
    private static ChunkSet Set(int count, params int[] chunks)
    {
        var set = new ChunkSet(count);
        foreach (var chunk in chunks)
        {
            set.Add(chunk);
        }

        return set;
    }

    [Fact]
    public void A_partial_source_is_given_only_chunks_it_holds_the_rarest_first()
    {
        var scheduler = new ChunkScheduler(6);
        scheduler.SetAvailability("a", Set(6, 1, 2, 3));
        scheduler.SetAvailability("b", Set(6, 2, 3));

        // Chunk 1 is held by one source, 2 and 3 by two: "a" gets 1 first.
        Assert.Equal(1, scheduler.Next("a"));
        Assert.Equal(2, scheduler.Next("a"));
        Assert.Equal(3, scheduler.Next("b"));
        Assert.Null(scheduler.Next("b"));
        Assert.False(scheduler.HasWorkFor("b"));
    }

    [Fact]
    public void A_whole_source_is_given_a_chunk_nobody_holds_or_fetches_before_one_a_partial_source_is_fetching()
    {
        var scheduler = new ChunkScheduler(4);
        // "p" holds chunk 0 and is fetching 1 and 2 (from the seeder, say): chunk 3 is the one
        // nobody else will have soon, so the whole source is asked for it first.
        scheduler.SetAvailability("p", Set(4, 0), Set(4, 1, 2));

        Assert.Equal(3, scheduler.Next("seeder"));

        // "p" has chunk 1 now and has given up on 2: 2 is the one nobody holds or fetches.
        scheduler.SetAvailability("p", Set(4, 0, 1), Set(4));
        Assert.Equal(2, scheduler.Next("seeder"));
        Assert.Equal(0, scheduler.Next("p"));
    }

    [Fact]
    public void A_source_claiming_to_fetch_every_chunk_only_reorders_them_and_none_is_withheld()
    {
        // A hint that never comes true (or a lie) changes the order, never whether a chunk is given.
        var scheduler = new ChunkScheduler(4, random: new Random(1));
        scheduler.SetAvailability("liar", Set(4), Set(4, 0, 1, 2, 3));

        var given = new List<int>();
        while (scheduler.Next("seeder") is { } chunk)
        {
            given.Add(chunk);
            Assert.True(scheduler.Complete(chunk, "seeder"));
        }

        Assert.Equal([0, 1, 2, 3], given.Order());
        Assert.True(scheduler.IsComplete);
        Assert.Null(scheduler.Next("liar"));
    }

    [Fact]
    public void A_dropped_partial_source_no_longer_counts_in_rarity()
    {
        var scheduler = new ChunkScheduler(3);
        scheduler.SetAvailability("p", Set(3, 0), Set(3, 1));
        scheduler.DropSource("p");

        // Nothing is known of any chunk now but that the whole source has them all: in order.
        Assert.Equal(0, scheduler.Next("seeder"));
        Assert.Equal(1, scheduler.Next("seeder"));
        Assert.Equal(2, scheduler.Next("seeder"));
    }

    [Fact]
    public void The_chunks_in_flight_are_written_as_a_bitmap_for_CHUNK_MAP()
    {
        var scheduler = new ChunkScheduler(10);
        Assert.Equal(0, scheduler.Next("seeder"));
        Assert.Equal(1, scheduler.Next("seeder"));
        Assert.Equal(2, scheduler.Next("seeder"));
        Assert.True(scheduler.Complete(1, "seeder"));
        scheduler.Release(2, "seeder");

        var bitmap = new byte[2];
        ((IChunksInFlight)scheduler).WriteInFlight(bitmap);

        Assert.Equal([0x80, 0x00], bitmap);
    }

    [Fact]
    public void Maps_of_another_chunk_count_are_refused()
    {
        var scheduler = new ChunkScheduler(4);
        Assert.Throws<ArgumentException>(() => scheduler.SetAvailability("p", Set(5, 0)));
        Assert.Throws<ArgumentException>(() => scheduler.SetAvailability("p", Set(4, 0), Set(5)));
        Assert.Throws<ArgumentException>(() => scheduler.SetAvailability("p", null, Set(4)));
    }
}
