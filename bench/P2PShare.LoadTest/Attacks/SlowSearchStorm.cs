using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using P2PShare.LoadTest.Catalog;
using P2PShare.LoadTest.Directory;
using P2PShare.Protocol;

namespace P2PShare.LoadTest.Attacks;

/// <summary>Settings of <c>p2pshare-loadtest slow-search</c>.</summary>
internal sealed record SlowSearchOptions(IPEndPoint Server, int Peers, int FilesPerPeer, int QueryBytes, int Attackers, TimeSpan Duration, int Seed);

/// <summary>
/// Issue 13's search stall: the directory holds <c>peers × files</c> entries; then, for the
/// given time, <see cref="SlowSearchOptions.Attackers"/> connections send SEARCH queries of many
/// one-letter words and a rare two-letter word (new every time), back to back, while an
/// ordinary client searches for realistic names and new peers register (and leave) five times a
/// second. Reports how long the ordinary searches and registrations waited and how long the
/// hostile queries took to be answered. One JSON line on stdout.
/// </summary>
internal static class SlowSearchStorm
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(SlowSearchOptions options, CancellationToken cancellationToken)
    {
        var report = new JsonReport();
        var catalog = PeerCatalog.Build(new MixedCatalog(options.Seed), options.Peers + 1000, options.FilesPerPeer, 4096);
        var peers = new ConcurrentBag<SimulatedPeer>();
        try
        {
            var clock = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, options.Peers), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken }, async (peer, token) =>
                peers.Add(await SimulatedPeer.RegisterAsync(SocketIO.LoopbackAddress(1 + (peer / 62_500), peer % 62_500), options.Server, catalog.RegisterFrames[peer], (uint)options.FilesPerPeer, token).ConfigureAwait(false))).ConfigureAwait(false);
            Log($"registered {options.Peers} peers ({catalog.Entries * options.Peers / (options.Peers + 1000)} entries) in {clock.Elapsed.TotalSeconds:0.0} s");

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            stop.CancelAfter(options.Duration);
            var ordinary = RunOnThread("ordinary", () => OrdinarySearches(options, catalog.Queries, stop.Token));
            var attackers = Enumerable.Range(0, options.Attackers).Select(i => RunOnThread($"attacker {i}", () => Attack(options, i, stop.Token))).ToArray();
            var registrations = RegisterMeanwhileAsync(options, catalog, stop.Token);
            var searchWaits = await ordinary.ConfigureAwait(false);
            var attackTimes = (await Task.WhenAll(attackers).ConfigureAwait(false)).SelectMany(t => t).ToList();
            var registerWaits = await registrations.ConfigureAwait(false);

            AddDistribution(report, "ordinary_search", searchWaits);
            AddDistribution(report, "register", registerWaits);
            AddDistribution(report, "hostile_query", attackTimes.Select(a => a.Ms).ToList());
            var errors = attackTimes.Count(a => a.Error);
            report.Add("hostile_answered_error", errors).Add("hostile_answered_results", attackTimes.Count - errors).Add("query_bytes", options.QueryBytes);
            Log($"ordinary searches: {searchWaits.Count}, p50 {Percentile(searchWaits, 0.5):0.0} ms, p99 {Percentile(searchWaits, 0.99):0.0} ms, max {searchWaits.DefaultIfEmpty().Max():0.0} ms, over 1 s: {searchWaits.Count(w => w > 1000)}");
            Log($"registrations meanwhile: {registerWaits.Count}, p99 {Percentile(registerWaits, 0.99):0.0} ms, max {registerWaits.DefaultIfEmpty().Max():0.0} ms");
            Log($"hostile queries of {options.QueryBytes} bytes: {attackTimes.Count} answered ({errors} with ERROR), p50 {Percentile(attackTimes.Select(a => a.Ms).ToList(), 0.5):0.0} ms, max {attackTimes.Select(a => a.Ms).DefaultIfEmpty().Max():0.0} ms");
        }
        finally
        {
            await Task.WhenAll(peers.Select(p => p.DisposeAsync().AsTask())).ConfigureAwait(false);
        }

        Console.WriteLine(report.ToString());
        return 0;
    }

    /// <summary>Each client on a thread of its own with blocking sockets, so that it measures the server and not this tool's thread pool.</summary>
    private static Task<T> RunOnThread<T>(string name, Func<T> body)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                done.SetResult(body());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        { IsBackground = true, Name = name }.Start();
        return done.Task;
    }

    private static List<double> OrdinarySearches(SlowSearchOptions options, string[] queries, CancellationToken stop)
    {
        var waits = new List<double>();
        using var socket = BlockingDirectoryClient.Connect(options.Server, SocketIO.LoopbackAddress(201, 0), AnswerTimeout);
        var frames = queries.Select(q => MessageCodec.EncodeFrame(new SearchMessage(q))).ToArray();
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var clock = Stopwatch.StartNew();
            socket.Send(frames[i % frames.Length]);
            BlockingDirectoryClient.ReadFrame(socket);
            waits.Add(clock.Elapsed.TotalMilliseconds);
            // An ordinary client: a search every 20 ms, not a load generator.
            Thread.Sleep(20);
        }

        return waits;
    }

    private static List<(double Ms, bool Error)> Attack(SlowSearchOptions options, int index, CancellationToken stop)
    {
        var times = new List<(double, bool)>();
        var frames = new HostileFrames((options.Seed * 100) + index);
        using var socket = BlockingDirectoryClient.Connect(options.Server, SocketIO.LoopbackAddress(202, index), AnswerTimeout);
        while (!stop.IsCancellationRequested)
        {
            var query = frames.PathologicalQuery(options.QueryBytes);
            var clock = Stopwatch.StartNew();
            socket.Send(query);
            var (type, _) = BlockingDirectoryClient.ReadFrame(socket);
            times.Add((clock.Elapsed.TotalMilliseconds, type == MessageType.Error));
        }

        return times;
    }

    private static async Task<List<double>> RegisterMeanwhileAsync(SlowSearchOptions options, PeerCatalog catalog, CancellationToken stop)
    {
        var waits = new List<double>();
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var clock = Stopwatch.StartNew();
            var peer = await SimulatedPeer.RegisterAsync(SocketIO.LoopbackAddress(203, i % 62_500), options.Server, catalog.RegisterFrames[options.Peers + (i % 1000)], (uint)options.FilesPerPeer, CancellationToken.None).ConfigureAwait(false);
            waits.Add(clock.Elapsed.TotalMilliseconds);
            await peer.DisposeAsync().ConfigureAwait(false);
            try
            {
                await Task.Delay(200, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return waits;
    }

    private static void AddDistribution(JsonReport report, string name, List<double> values) =>
        report.Add($"{name}_count", values.Count).Add($"{name}_p50_ms", Percentile(values, 0.5)).Add($"{name}_p99_ms", Percentile(values, 0.99))
            .Add($"{name}_max_ms", values.DefaultIfEmpty().Max()).Add($"{name}_over_1s", values.Count(v => v > 1000));

    private static double Percentile(List<double> values, double fraction)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)(fraction * sorted.Count))];
    }

    private static void Log(string message) => Console.Error.WriteLine(message);
}
