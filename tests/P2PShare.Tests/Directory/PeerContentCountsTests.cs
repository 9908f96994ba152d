using P2PShare.Directory.Search;

namespace P2PShare.Tests.Directory;

/// <summary>The count of live entries per peer and content agrees with a dictionary through growth and deletions.</summary>
public sealed class PeerContentCountsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Counts_agree_with_a_dictionary_through_growth_and_deletions(int seed)
    {
        var random = new Random(seed);
        var counts = new PeerContentCounts(4);
        var model = new Dictionary<(int Peer, int Entry), int>();
        for (var step = 0; step < 50_000; step++)
        {
            // Few peers and contents, so that pairs come and go and probes run over deleted slots.
            var pair = (random.Next(40), random.Next(300));
            if (model.TryGetValue(pair, out var count) && (count > 3 || random.Next(2) == 0))
            {
                Assert.Equal(count - 1, counts.Decrement(pair.Item1, pair.Item2));
                if (count == 1)
                {
                    model.Remove(pair);
                }
                else
                {
                    model[pair] = count - 1;
                }
            }
            else
            {
                Assert.Equal(count + 1, counts.Increment(pair.Item1, pair.Item2));
                model[pair] = count + 1;
            }

            Assert.Equal(model.Count, counts.Count);
        }

        foreach (var ((peer, entry), count) in model)
        {
            // One more and one fewer: the count it had is the count it has.
            Assert.Equal(count + 1, counts.Increment(peer, entry));
            Assert.Equal(count, counts.Decrement(peer, entry));
        }

        Assert.Throws<InvalidOperationException>(() => counts.Decrement(1_000, 1_000));
    }
}
