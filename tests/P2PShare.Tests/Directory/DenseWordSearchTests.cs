using System.Net;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Tests.Directory;

/// <summary>
/// Searches for words found in a large share of the names, which the index joins as bits
/// (DenseWordBits) rather than through their lists: they find exactly what the plain rule finds,
/// as words become common while peers register, after removals and after a compaction.
/// </summary>
public sealed class DenseWordSearchTests
{
    private static readonly string[] Departments = ["finance", "sales", "research", "legal", "design"];
    private static readonly string[] Topics = ["budget", "hiring", "audit", "roadmap", "pricing", "travel"];
    private static readonly string[] Extensions = ["xlsx", "pdf", "docx"];

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    public void Common_words_find_what_the_plain_rule_finds(int seed, bool rememberSearches)
    {
        var random = new Random(seed);
        var registry = new InMemoryPeerRegistry(minDeadToCompact: 5_000, rememberSearches: rememberSearches);
        var model = new Dictionary<PeerKey, List<string>>();
        var tokens = new Dictionary<PeerKey, RegistrationToken>();
        string[] queries = ["finance", "2024 q3", "budget xlsx", "q3 budget 2024", "fin 202", "024 q", "sales v2", "q3", "audit pdf q1", "ance 2023 get", "v1 docx legal"];

        for (var peer = 0; peer < 300; peer++)
        {
            var key = new PeerKey(new IPAddress([10, 6, (byte)(peer >> 8), (byte)peer]), 3300);
            var names = Enumerable.Range(0, 100).Select(i =>
                $"{Departments[random.Next(Departments.Length)]}/{2020 + random.Next(6)}/q{1 + random.Next(4)}/{Topics[random.Next(Topics.Length)]} v{1 + random.Next(3)} {peer}-{i}.{Extensions[random.Next(Extensions.Length)]}").ToList();
            tokens[key] = registry.Register(key, [.. names.Select(n => new FileEntry(n, 1, ContentId.Zero))]);
            model[key] = names;
            if (peer % 60 == 59)
            {
                // Words turn common as the table grows: check on the way, not only at the end.
                AgreeOnAll(registry, model, queries);
            }
        }

        // A third of the peers leave: enough dead entries for a compaction, which rebuilds the bits.
        foreach (var key in model.Keys.Where((_, i) => i % 3 == 0).ToList())
        {
            Assert.True(registry.Unregister(tokens[key]));
            model.Remove(key);
        }

        AgreeOnAll(registry, model, queries);
    }

    /// <summary>
    /// A rare word beside common ones: the rare word's few entries are the candidates, checked
    /// one by one against the common words' bits and the other words' lists. Every word comes
    /// whole, as the start of a longer word and inside one, and some contents are held by many
    /// peers, so the answers (capped, and in full) test the rank each candidate is given too.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_rare_word_beside_common_ones_ranks_as_the_plain_rule_does(bool rememberSearches)
    {
        var registry = new InMemoryPeerRegistry(minDeadToCompact: 1_000_000, rememberSearches: rememberSearches);
        var model = new RegistryModel();
        var tokens = new Dictionary<PeerKey, RegistrationToken>();
        var random = new Random(5);
        string[] topics = ["budget", "budgets", "prebudget", "audit"];
        for (var peer = 0; peer < 250; peer++)
        {
            var key = new PeerKey(new IPAddress([10, 7, (byte)(peer >> 8), (byte)peer]), 3300);
            var files = Enumerable.Range(0, 100).Select(i =>
            {
                var n = (peer * 100) + i;
                // k17 is rare (a few dozen names), and k170 ... k179 begin with it; 'bk17' has it
                // inside; some names have it twice, as the start of a word and whole.
                var rare = random.Next(10) switch
                {
                    0 => $"bk{n % 500}",
                    1 => $"k{n % 500}0 k{n % 500}",
                    _ => $"k{n % 500}",
                };
                // s3 is in a thousand names or so, too few for bits: whole, the start of s3b, inside xs3.
                var series = random.Next(3) switch
                {
                    0 => $"s{n % 20}",
                    1 => $"s{n % 20}b",
                    _ => $"xs{n % 20}",
                };
                var name = $"{Departments[random.Next(Departments.Length)]}/{2020 + random.Next(6)}/q{1 + random.Next(4)}/{topics[random.Next(topics.Length)]} {rare} {series} v{1 + random.Next(3)}.{Extensions[random.Next(Extensions.Length)]}";
                return new FileEntry(name, 1, NumberedContent.Id(n % 11 == 0 ? n % 7 : 100_000 + n));
            }).ToList();
            tokens[key] = registry.Register(key, files);
            model.Register(key, files);
        }

        // Dead entries among the candidates: some peers leave, too few for a compaction.
        foreach (var key in tokens.Keys.Where((_, i) => i % 10 == 3).ToList())
        {
            Assert.True(registry.Unregister(tokens[key]));
            model.Unregister(key);
        }

        var asker = tokens.Keys.First(model.IsRegistered);
        // k17 with common words; k1 has over a hundred words (k1, k10 ... k199), k17 a dozen;
        // s17 and s3 are checked against their lists; 'budget-' and 'q3/' need the names read.
        string[] queries = ["k17 budget", "k17 budget 2024", "budget k17 pdf", "k42 q3 fin", "k1 budget", "k17 k1", "k17 budget-", "k170 q3/", "udge k17", "k49 v2 xlsx", "k17 s17", "s3 budget k43"];
        foreach (var query in queries)
        {
            foreach (var max in new[] { 5, 1000 })
            {
                RankedSearchAssert.SameAnswer(model, registry, query, null, max, $"max {max}");
                RankedSearchAssert.SameAnswer(model, registry, query, asker, max, $"max {max}, asker");
            }
        }
    }

    private static void AgreeOnAll(InMemoryPeerRegistry registry, Dictionary<PeerKey, List<string>> model, string[] queries)
    {
        foreach (var query in queries)
        {
            var words = query.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var expected = model.SelectMany(p => p.Value.Where(n => words.All(w => n.Contains(w, StringComparison.OrdinalIgnoreCase))).Select(n => $"{p.Key.Address}:{n}")).Order(StringComparer.Ordinal).ToList();
            var found = registry.Search(query, null, 100_000).SelectMany(p => p.Files.Select(f => $"{p.Address}:{f.Name}")).Order(StringComparer.Ordinal).ToList();
            Assert.True(expected.SequenceEqual(found), $"query '{query}': {expected.Count} expected, {found.Count} found");
        }
    }
}
