using System.Net;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Tests.Directory;

/// <summary>
/// A search too big for one hold of the registry's lock goes on in slices, each finding the
/// words of the query's parts where the last left them: the answer is the plain rule's, for a
/// part found in a thousand words (tag1: tag1, tag10 ... tag1999) alone and beside others.
/// </summary>
public sealed class SlicedSearchTests
{
    private static readonly string[] Topics = ["budget", "budgets", "audit"];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_search_in_many_slices_answers_as_the_plain_rule_does(bool rememberSearches)
    {
        var registry = new InMemoryPeerRegistry(minDeadToCompact: 1_000_000, rememberSearches: rememberSearches);
        var model = new RegistryModel();
        var random = new Random(3);
        for (var peer = 0; peer < 100; peer++)
        {
            var key = new PeerKey(new IPAddress([10, 11, 0, (byte)peer]), 3300);
            var files = Enumerable.Range(0, 1000).Select(i =>
            {
                var n = (peer * 1000) + i;
                return new FileEntry($"tag{n % 5000} song {n} {Topics[random.Next(Topics.Length)]}.mp3", 1, NumberedContent.Id(n % 9 == 0 ? n % 50 : 1_000 + n));
            }).ToList();
            registry.Register(key, files);
            model.Register(key, files);
        }

        foreach (var query in new[] { "tag1", "tag1 budget", "tag1 song", "budget tag2 mp3" })
        {
            RankedSearchAssert.SameAnswer(model, registry, query, null, 1000, "sliced");
        }
    }
}
