using System.Text;
using P2PShare.Protocol;

namespace P2PShare.LoadTest.Catalog;

/// <summary>Settings of <c>p2pshare-loadtest catalog</c>.</summary>
internal sealed record CatalogSampleOptions(string Catalog, int Peers, int FilesPerPeer, int SamplePeers, int Queries, int Draws, int Show, int Seed);

/// <summary>
/// <c>p2pshare-loadtest catalog</c>: what a catalogue and its diverse queries look like, without
/// a server. Prints example names and queries, and estimates the answers: each of a number of
/// queries is matched (the protocol's rule: every word a substring of the name, ignoring case)
/// against the files of an evenly spread sample of the peers, the count scaled to all peers
/// and capped at the 1000 entries an answer may hold. Also counts how many of a run's worth of
/// queries are distinct. For tuning the generators; the load test's own report is the measure.
/// </summary>
internal static class CatalogSample
{
    public static int Run(CatalogSampleOptions options)
    {
        var generator = CatalogGenerators.Create(options.Catalog, options.Seed);
        var samplePeers = Math.Clamp(options.SamplePeers, 1, options.Peers);
        var names = new List<string>(samplePeers * options.FilesPerPeer);
        for (var i = 0; i < samplePeers; i++)
        {
            var peer = (int)((long)i * options.Peers / samplePeers);
            var files = generator.FilesFor(peer, options.FilesPerPeer, out var ownQuery);
            if (i < 2)
            {
                Log($"peer {peer} (own query \"{ownQuery}\"):");
                foreach (var file in files.Take(options.Show).Concat(files.Skip(files.Count - Math.Min(options.Show, files.Count - options.Show))))
                {
                    Log($"  {file.Name}  ({file.Size} bytes)");
                }
            }

            names.AddRange(files.Select(f => f.Name.ToLowerInvariant()));
        }

        var random = new Random(unchecked((options.Seed * 1_000_003) + 0));
        var queries = Enumerable.Range(0, options.Queries).Select(_ => generator.NextQuery(random)).ToArray();
        var scale = (double)options.Peers / samplePeers;
        var matches = new double[queries.Length];
        var nameBytes = new double[queries.Length];
        Parallel.For(0, queries.Length, q =>
        {
            var words = queries[q].ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long count = 0, bytes = 0;
            foreach (var name in names)
            {
                if (words.All(w => name.Contains(w, StringComparison.Ordinal)))
                {
                    count++;
                    bytes += Encoding.UTF8.GetByteCount(name);
                }
            }

            matches[q] = count * scale;
            nameBytes[q] = count == 0 ? 0 : (double)bytes / count;
        });

        var capped = matches.Select(m => Math.Min(m, Limits.MaxSearchResults)).ToArray();
        // A file entry is 2 + name + 8 + 32 bytes (PROTOCOL.md 5.3); peer records are not counted.
        var payload = capped.Select((c, q) => 4 + (c * (42 + nameBytes[q]))).ToArray();
        var sorted = capped.Order().ToArray();
        Log($"queries, e.g.: {string.Join(" | ", queries.Take(options.Show * 2))}");
        Log($"estimated answers ({queries.Length} queries, {samplePeers} of {options.Peers} peers): mean {capped.Average():0.0} entries, median {sorted[sorted.Length / 2]:0}, " +
            $"{capped.Count(c => c == 0) / (double)capped.Length:P1} empty, {capped.Count(c => c >= Limits.MaxSearchResults) / (double)capped.Length:P1} full, " +
            $"~{payload.Average():0} payload bytes on average (without peer records)");
        foreach (var group in queries.Select((query, q) => (Words: query.Split(' ').Length, Entries: capped[q])).GroupBy(x => x.Words).OrderBy(g => g.Key))
        {
            Log($"  {group.Key}-word queries: {group.Count() / (double)queries.Length:P0}, mean {group.Average(x => x.Entries):0.0} entries");
        }

        var drawn = new HashSet<string>(StringComparer.Ordinal);
        var draws = new Random(unchecked((options.Seed * 1_000_003) + 1));
        for (var i = 0; i < options.Draws; i++)
        {
            drawn.Add(generator.NextQuery(draws));
        }

        Log($"{drawn.Count} distinct queries in {options.Draws} drawn ({(double)drawn.Count / options.Draws:P1})");
        Console.WriteLine(new JsonReport()
            .Add("catalog", generator.Kind)
            .Add("estimated_mean_entries", capped.Average())
            .Add("estimated_median_entries", sorted[sorted.Length / 2])
            .Add("estimated_empty_share", capped.Count(c => c == 0) / (double)capped.Length)
            .Add("estimated_full_share", capped.Count(c => c >= Limits.MaxSearchResults) / (double)capped.Length)
            .Add("estimated_mean_payload_bytes", payload.Average())
            .Add("draws", options.Draws)
            .Add("distinct_share", (double)drawn.Count / options.Draws));
        return 0;
    }

    private static void Log(string message) => Console.Error.WriteLine(message);
}
