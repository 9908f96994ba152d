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
