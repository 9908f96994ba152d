using System.Net;
using P2PShare.Directory;
using P2PShare.Directory.Search;
using P2PShare.Protocol;

namespace P2PShare.Tests.Directory;

/// <summary>
/// A query that matches more entries than a search keeps (<see cref="SearchCache.MaxMatches"/>)
/// holds only the best found so far, cut again and again as it goes: the answer is still the
/// best-ranked of all matches (PROTOCOL.md 8.2), with and without the cache, for an asker whose
/// own files are among the matches, and when asked again.
/// </summary>
public sealed class BroadSearchPruningTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_query_with_more_matches_than_a_search_keeps_answers_the_best_ranked_of_all(bool rememberSearches)
    {
        var registry = new InMemoryPeerRegistry(rememberSearches);
        var model = new RegistryModel();
        var peers = new List<PeerKey>();
        string[] tags = ["live", "lively", "xlive"];
        const int PerPeer = 1_000;
        for (var peer = 0; peer < 20; peer++)
        {
            var key = new PeerKey(new IPAddress([10, 8, 0, (byte)(peer + 1)]), 3300);
            // One file in seven is one of five contents held all over (hundreds of sources), the
            // rest unique; the tag makes 'live' a whole word, a prefix, or inside.
            var files = Enumerable.Range(0, PerPeer).Select(i =>
            {
                var n = (peer * PerPeer) + i;
                return new FileEntry($"song {n} {tags[(n / 7) % 3]}.mp3", 1, NumberedContent.Id(n % 7 == 0 ? n % 5 : 1_000 + n));
            }).ToList();
            registry.Register(key, files);
            model.Register(key, files);
            peers.Add(key);
        }

        Assert.True(SearchCache.MaxMatches < 20 * PerPeer, "the catalog must have more matches than a search keeps");
        for (var pass = 0; pass < 2; pass++)
        {
            // 'song' and 'mp3' match all 20,000; 'live' 20,000 in three classes; 'o' has no part for the index.
            foreach (var query in new[] { "song", "live", "live mp3", "o" })
            {
                RankedSearchAssert.SameAnswer(model, registry, query, null, 1000, $"pass {pass}");
                RankedSearchAssert.SameAnswer(model, registry, query, peers[3], 1000, $"pass {pass}, asker with matches");
            }
        }
    }
}
