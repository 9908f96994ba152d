using System.Diagnostics;

namespace P2PShare.LoadTest.Directory;

/// <summary>The search figures over all connections: throughput, latency percentiles, errors, answer sizes, query diversity.</summary>
internal sealed record SearchSummary(
    long Searches,
    double PerSecond,
    double P50Ms,
    double P99Ms,
    double MaxMs,
    long Errors,
    string? FirstError,
    double MeanEntries,
    double MeanPayloadBytes,
    long EmptyResults,
    long FullAnswers,
    long DistinctQueries,
    long NewQueries)
{
    public static SearchSummary From(IReadOnlyList<SearchStats> connections, TimeSpan window)
    {
        var latencies = connections.SelectMany(c => c.Latencies).ToArray();
        Array.Sort(latencies);
        var entries = connections.Sum(c => c.Entries);
        var payload = connections.Sum(c => c.PayloadBytes);
        // Distinct queries in the window, and of those, the ones never asked before it (in the
        // warm-up): a search cache could have answered none of the latter from memory.
        var earlier = connections.SelectMany(c => c.EarlierQueries).ToHashSet();
        var measured = connections.SelectMany(c => c.Queries).ToHashSet();
        var fresh = measured.Count(q => !earlier.Contains(q));
        return new SearchSummary(
            latencies.Length,
            latencies.Length / window.TotalSeconds,
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.99),
            latencies.Length == 0 ? double.NaN : ToMs(latencies[^1]),
            connections.Sum(c => c.Errors),
            connections.Select(c => c.FirstError).FirstOrDefault(e => e is not null),
            latencies.Length == 0 ? double.NaN : (double)entries / latencies.Length,
            latencies.Length == 0 ? double.NaN : (double)payload / latencies.Length,
            connections.Sum(c => c.EmptyResults),
            connections.Sum(c => c.FullAnswers),
            measured.Count,
            fresh);
    }

    /// <summary>Distinct queries over searches measured: 1 when no query was asked twice in the window.</summary>
    public double DistinctShare => Searches == 0 ? double.NaN : (double)DistinctQueries / Searches;

    /// <summary>Searches measured whose query was asked for the first time in the run (not before in the window, nor in the warm-up).</summary>
    public double NewShare => Searches == 0 ? double.NaN : (double)NewQueries / Searches;

    public void AddTo(JsonReport report) => report
        .Add("searches", Searches)
        .Add("searches_per_s", PerSecond)
        .Add("search_p50_ms", P50Ms)
        .Add("search_p99_ms", P99Ms)
        .Add("search_max_ms", MaxMs)
        .Add("search_errors", Errors)
        .Add("search_first_error", FirstError)
        .Add("search_mean_entries", MeanEntries)
        .Add("search_mean_payload_bytes", MeanPayloadBytes)
        .Add("search_empty_results", EmptyResults)
        .Add("search_full_answers", FullAnswers)
        .Add("search_distinct_queries", DistinctQueries)
        .Add("search_distinct_share", DistinctShare)
        .Add("search_new_share", NewShare);

    /// <summary>Nearest-rank percentile of sorted latencies, in milliseconds.</summary>
    private static double Percentile(long[] sorted, double fraction) =>
        sorted.Length == 0 ? double.NaN : ToMs(sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Length) - 1, 0, sorted.Length - 1)]);

    private static double ToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
