using System.Diagnostics;

namespace P2PShare.LoadTest.Directory;

/// <summary>The search figures over all connections: throughput, latency percentiles, errors.</summary>
internal sealed record SearchSummary(long Searches, double PerSecond, double P50Ms, double P99Ms, double MaxMs, long Errors, string? FirstError, double MeanEntries, long EmptyResults)
{
    public static SearchSummary From(IReadOnlyList<SearchStats> connections, TimeSpan window)
    {
        var latencies = connections.SelectMany(c => c.Latencies).ToArray();
        Array.Sort(latencies);
        var entries = connections.Sum(c => c.Entries);
        return new SearchSummary(
            latencies.Length,
            latencies.Length / window.TotalSeconds,
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.99),
            latencies.Length == 0 ? double.NaN : ToMs(latencies[^1]),
            connections.Sum(c => c.Errors),
            connections.Select(c => c.FirstError).FirstOrDefault(e => e is not null),
            latencies.Length == 0 ? double.NaN : (double)entries / latencies.Length,
            connections.Sum(c => c.EmptyResults));
    }

    public void AddTo(JsonReport report) => report
        .Add("searches", Searches)
        .Add("searches_per_s", PerSecond)
        .Add("search_p50_ms", P50Ms)
        .Add("search_p99_ms", P99Ms)
        .Add("search_max_ms", MaxMs)
        .Add("search_errors", Errors)
        .Add("search_first_error", FirstError)
        .Add("search_mean_entries", MeanEntries)
        .Add("search_empty_results", EmptyResults);

    /// <summary>Nearest-rank percentile of sorted latencies, in milliseconds.</summary>
    private static double Percentile(long[] sorted, double fraction) =>
        sorted.Length == 0 ? double.NaN : ToMs(sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Length) - 1, 0, sorted.Length - 1)]);

    private static double ToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
