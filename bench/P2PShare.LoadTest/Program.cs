using P2PShare.LoadTest;
using P2PShare.LoadTest.Attacks;
using P2PShare.LoadTest.Catalog;
using P2PShare.LoadTest.Directory;
using P2PShare.LoadTest.Downloads;
using P2PShare.Protocol;

// Load generator for bench/run.sh. Progress goes to stderr; the figures, as one JSON line, to stdout.
//
//   p2pshare-loadtest directory --server 127.0.0.1:PORT [--peers 10000] [--files 100] [--connections 50]
//       [--warmup 2] [--duration 10] [--register-concurrency 64] [--seed 1] [--server-pid PID]
//       [--catalog mixed|music|office] [--queries repeated|diverse]
//   p2pshare-loadtest catalog [--catalog office] [--peers 10000] [--files 100] [--sample-peers 1000] [--queries 2000] [--draws 250000] [--show 5] [--seed 1]
//   p2pshare-loadtest downloads --server 127.0.0.1:PORT --name NAME --output DIR [--count 100] [--sources 1]
//   p2pshare-loadtest flood --server 127.0.0.1:PORT [--gib 5] [--addresses 4] [--connections 32] [--names N (per frame; default: 16 MiB frames)] [--server-pid PID]
//   p2pshare-loadtest slow-search --server 127.0.0.1:PORT [--peers 3000] [--files 100] [--query-bytes 65534] [--attackers 2] [--duration 20]
const string Usage = "usage: p2pshare-loadtest directory --server 127.0.0.1:PORT [options] | catalog [options] | downloads --server HOST:PORT --name NAME --output DIR [options] | flood --server 127.0.0.1:PORT [options] | slow-search --server 127.0.0.1:PORT [options]";
if (args.Length == 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

try
{
    var options = new Arguments(args.Skip(1));
    switch (args[0])
    {
        case "directory":
            return await DirectoryLoad.RunAsync(
                new DirectoryLoadOptions(
                    options.EndPoint("--server"),
                    options.Int("--peers", 10_000),
                    options.Int("--files", 100),
                    options.Int("--connections", 50),
                    options.Seconds("--warmup", 2),
                    options.Seconds("--duration", 10),
                    options.Int("--register-concurrency", 64),
                    options.Int("--seed", 1),
                    options.OptionalInt("--server-pid"),
                    options.String("--catalog", "mixed"),
                    options.String("--queries", "repeated")),
                cancel.Token);
        case "catalog":
            return CatalogSample.Run(
                new CatalogSampleOptions(
                    options.String("--catalog", "office"),
                    options.Int("--peers", 10_000),
                    options.Int("--files", 100),
                    options.Int("--sample-peers", 1_000),
                    options.Int("--queries", 2_000),
                    options.Int("--draws", 250_000),
                    options.Int("--show", 5),
                    options.Int("--seed", 1)));
        case "downloads":
            return await ConcurrentDownloads.RunAsync(
                new DownloadLoadOptions(
                    HostPort.Parse(options.String("--server")),
                    options.String("--name"),
                    options.Int("--count", 100),
                    options.String("--output"),
                    options.Int("--sources", 1)),
                cancel.Token);
        case "flood":
            return await RegistrationFlood.RunAsync(
                new RegistrationFloodOptions(
                    options.EndPoint("--server"),
                    double.Parse(options.String("--gib", "5"), System.Globalization.CultureInfo.InvariantCulture),
                    options.Int("--addresses", 4),
                    options.Int("--connections", 32),
                    options.Int("--names", int.MaxValue),
                    options.OptionalInt("--server-pid"),
                    options.Int("--seed", 1)),
                cancel.Token);
        case "slow-search":
            return await SlowSearchStorm.RunAsync(
                new SlowSearchOptions(
                    options.EndPoint("--server"),
                    options.Int("--peers", 3000),
                    options.Int("--files", 100),
                    options.Int("--query-bytes", 65_534),
                    options.Int("--attackers", 2),
                    options.Seconds("--duration", 20),
                    options.Int("--seed", 1)),
                cancel.Token);
        default:
            Console.Error.WriteLine(Usage);
            return 2;
    }
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"p2pshare-loadtest: {ex.Message}");
    return 2;
}
