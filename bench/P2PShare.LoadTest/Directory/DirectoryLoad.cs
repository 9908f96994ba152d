using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using P2PShare.LoadTest.Catalog;
using P2PShare.Protocol;

namespace P2PShare.LoadTest.Directory;

/// <summary>Settings of <c>p2pshare-loadtest directory</c>.</summary>
internal sealed record DirectoryLoadOptions(
    IPEndPoint Server,
    int Peers,
    int FilesPerPeer,
    int Connections,
    TimeSpan Warmup,
    TimeSpan Duration,
    int RegisterConcurrency,
    int Seed,
    int? ServerPid,
    string Catalog = "mixed",
    string Queries = "repeated");

/// <summary>
/// The directory benchmark: (a) registers the simulated peers, each over its own connection that
/// stays open and answers PINGs, timing from the first connect to the last OK; (b) runs the
/// search clients for a warm-up and then a measured window; (c) reports one JSON line.
/// </summary>
/// <remarks>
/// The catalogue (<c>--catalog</c>) is <see cref="MixedCatalog"/> (the default),
/// <see cref="MusicCatalog"/> or <see cref="OfficeCatalog"/>. The queries (<c>--queries</c>) are
/// <c>repeated</c> (the default: a pool of 4,096, one for the first own file of each of the first
/// peers, asked in turn over and over, so that a search cache answers most) or <c>diverse</c>
/// (each connection draws a fresh query from the catalogue's query mix for every request, from
/// a generator seeded with the seed and the connection's number, so that few come up twice; the
/// report says how few: <c>search_distinct_share</c>, <c>search_new_share</c>).
/// </remarks>
internal static class DirectoryLoad
{
    private const int QueryCount = 4096;

    public static async Task<int> RunAsync(DirectoryLoadOptions options, CancellationToken cancellationToken)
    {
        var report = new JsonReport();
        var build = Stopwatch.StartNew();
        if (options.Queries is not ("repeated" or "diverse"))
        {
            throw new ArgumentException($"--queries is repeated or diverse, not \"{options.Queries}\"");
        }

        var generator = CatalogGenerators.Create(options.Catalog, options.Seed);
        var catalog = PeerCatalog.Build(generator, options.Peers, options.FilesPerPeer, QueryCount);
        var queryFrames = catalog.Queries.Select(q => MessageCodec.EncodeFrame(new SearchMessage(q))).ToArray();
        Log($"catalogue {generator.Kind}: {options.Peers} peers, {catalog.Entries} entries, {catalog.RegisterFrames.Sum(f => (long)f.Length) / 1048576.0:0.0} MiB of REGISTER frames, built in {build.Elapsed.TotalSeconds:0.00} s; {options.Queries} queries");
        report.Add("catalog", generator.Kind).Add("queries", options.Queries).Add("peers", options.Peers).Add("entries", catalog.Entries);

        var peers = new ConcurrentBag<SimulatedPeer>();
        try
        {
            var (registerSeconds, registerErrors, firstError) = await RegisterAllAsync(options, catalog, peers, cancellationToken).ConfigureAwait(false);
            Log($"registered {peers.Count} peers in {registerSeconds:0.000} s, {registerErrors} errors{(firstError is null ? "" : $" (first: {firstError})")}");
            report.Add("register_s", registerSeconds).Add("register_errors", registerErrors).Add("register_first_error", firstError);

            // Let the server settle (collections after the burst) before reading its memory.
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            AddServerMemory(report, options.ServerPid, "after_register");

            // The load tool shares the cores with the server: its own CPU time says how much it took.
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            var search = await SearchLoadAsync(options, generator, queryFrames, cancellationToken).ConfigureAwait(false);
            var clientCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore) / wall.Elapsed;
            search.AddTo(report);
            report.Add("client_cpu_cores_during_search", clientCpu);
            Log($"load tool CPU during the searches: {clientCpu:0.00} cores");
            Log($"searches: {search.PerSecond:0} /s, p50 {search.P50Ms:0.000} ms, p99 {search.P99Ms:0.000} ms, max {search.MaxMs:0.000} ms, {search.Errors} errors{(search.FirstError is null ? "" : $" (first: {search.FirstError})")}");
            Log($"answers: {search.MeanEntries:0.0} entries and {search.MeanPayloadBytes:0} payload bytes on average, {search.EmptyResults} empty, {search.FullAnswers} full ({Limits.MaxSearchResults} entries); {search.DistinctQueries} distinct queries in {search.Searches} searches ({search.DistinctShare:P1}), {search.NewShare:P1} of the searches asked for the first time in the run");
            AddServerMemory(report, options.ServerPid, "after_search");

            var online = peers.Count(p => p.IsOnline);
            report.Add("peers_online_at_end", online).Add("pings_answered", peers.Sum(p => p.PingsAnswered));
        }
        finally
        {
            await Task.WhenAll(peers.Select(p => p.DisposeAsync().AsTask())).ConfigureAwait(false);
        }

        Console.WriteLine(report.ToString());
        return 0;
    }

    private static async Task<(double Seconds, int Errors, string? FirstError)> RegisterAllAsync(
        DirectoryLoadOptions options, PeerCatalog catalog, ConcurrentBag<SimulatedPeer> peers, CancellationToken cancellationToken)
    {
        var next = -1;
        var errors = 0;
        string? firstError = null;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Math.Min(options.RegisterConcurrency, options.Peers)).Select(async _ =>
        {
            int peer;
            while ((peer = Interlocked.Increment(ref next)) < options.Peers)
            {
                try
                {
                    peers.Add(await SimulatedPeer.RegisterAsync(
                        SocketIO.LoopbackAddress(1 + peer / 62_500, peer % 62_500),
                        options.Server,
                        catalog.RegisterFrames[peer],
                        (uint)options.FilesPerPeer,
                        cancellationToken).ConfigureAwait(false));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, ex.Message, null);
                }
            }
        });
        await Task.WhenAll(workers).ConfigureAwait(false);
        return (clock.Elapsed.TotalSeconds, errors, firstError);
    }

    private static async Task<SearchSummary> SearchLoadAsync(DirectoryLoadOptions options, ICatalogGenerator generator, byte[][] queryFrames, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(options.Warmup.TotalSeconds * Stopwatch.Frequency);
        var measureUntil = measureFrom + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
        // Search clients come from 127.200.x.y, away from the simulated peers' addresses.
        var clients = Enumerable.Range(0, options.Connections).Select(i => SearchClient.RunAsync(
            SocketIO.LoopbackAddress(200, i),
            options.Server,
            options.Queries == "diverse"
                ? QuerySource.Diverse(generator, unchecked((options.Seed * 1_000_003) + i))
                : QuerySource.Repeated(queryFrames, i * queryFrames.Length / options.Connections),
            measureFrom,
            measureUntil,
            cancellationToken)).ToArray();
        var stats = await Task.WhenAll(clients).ConfigureAwait(false);
        return SearchSummary.From(stats, options.Duration);
    }

    private static void AddServerMemory(JsonReport report, int? pid, string when)
    {
        if (pid is { } serverPid)
        {
            var memory = ProcessMemory.Read(serverPid);
            report.Add($"server_rss_mib_{when}", memory.RssMiB).Add($"server_hwm_mib_{when}", memory.PeakRssMiB);
            Log($"server memory {when.Replace('_', ' ')}: VmRSS {memory.RssMiB:0.0} MiB, VmHWM {memory.PeakRssMiB:0.0} MiB");
        }
    }

    private static void Log(string message) => Console.Error.WriteLine(message);
}
