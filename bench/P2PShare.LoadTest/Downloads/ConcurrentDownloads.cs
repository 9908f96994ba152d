using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.LoadTest.Downloads;

/// <summary>Settings of <c>p2pshare-loadtest downloads</c>.</summary>
internal sealed record DownloadLoadOptions(HostPort Server, string Name, int Count, string Output, int Sources);

/// <summary>
/// Many downloads of one file at once, in this one process, with the product's own download
/// code: one directory search (as <c>p2pshare get</c> does), then <see cref="Downloader"/> per
/// download, each into its own folder, each verified chunk by chunk against the content id.
/// </summary>
internal static class ConcurrentDownloads
{
    public static async Task<int> RunAsync(DownloadLoadOptions options, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        DownloadPlan plan;
        await using (var directory = await DirectoryConnection.ConnectAsync(options.Server, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false))
        {
            var results = await directory.SearchAsync(options.Name, cancellationToken).ConfigureAwait(false);
            plan = DownloadPlan.Choose(results, options.Name, null, out var error)
                ?? throw new InvalidOperationException(error);
        }

        var searched = clock.Elapsed;
        var tracker = new TransferTracker();
        var downloads = Enumerable.Range(0, options.Count).Select(async i =>
        {
            var downloader = new Downloader(Path.Combine(options.Output, i.ToString("000", System.Globalization.CultureInfo.InvariantCulture)), NullLogger.Instance)
            {
                Options = new DownloadOptions { MaxSources = options.Sources },
            };
            var transfer = tracker.Start(TransferDirection.Download, "-", plan.Name, (long)plan.Size);
            try
            {
                await downloader.DownloadAsync(plan, transfer, cancellationToken: cancellationToken).ConfigureAwait(false);
                return null;
            }
            catch (Exception ex) when (ex is DownloadException or IOException)
            {
                return ex.Message;
            }
        }).ToArray();
        var outcomes = await Task.WhenAll(downloads).ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;
        var failures = outcomes.Where(o => o is not null).ToList();
        var megabytes = options.Count * (double)plan.Size / 1e6;

        Console.Error.WriteLine($"{options.Count} downloads of {plan.Name} ({plan.Size} bytes): {seconds:0.000} s ({searched.TotalSeconds:0.000} s to search), {megabytes / seconds:0.0} MB/s, {failures.Count} failed{(failures.Count == 0 ? "" : $" (first: {failures[0]})")}");
        Console.WriteLine(new JsonReport()
            .Add("downloads", options.Count)
            .Add("size", (long)plan.Size)
            .Add("seconds", seconds)
            .Add("search_s", searched.TotalSeconds)
            .Add("mb_per_s", megabytes / seconds)
            .Add("failures", failures.Count)
            .Add("first_failure", failures.FirstOrDefault())
            .ToString());
        return failures.Count == 0 ? 0 : 1;
    }
}
