using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using P2PShare.Cli.Output;
using P2PShare.Peer;
using P2PShare.Protocol;
using Spectre.Console;

namespace P2PShare.Cli.Commands;

/// <summary>
/// The demo's second phase, issue 14's flash crowd: one seeder shares a file, several fresh
/// downloaders start downloading it at the same moment and serve each other the chunks they have
/// verified. Every upload is limited, the seeder's most, so the file reaches the crowd mostly
/// through the crowd. The summary says what each peer sent and received, as its transfers
/// counted it.
/// </summary>
internal static class FlashCrowdDemo
{
    private const string FileName = "crowd-release.bin";
    private const int FileSize = 24 * 1024 * 1024;
    private const int Downloaders = 4;

    // The seeder alone would need Downloaders × 24 MiB / 4 MiB/s = 24 s; the crowd, which must
    // get every chunk from the seeder once, needs about 24 MiB / 4 MiB/s = 6 s and then passes
    // the chunks on among itself at 8 MiB/s per downloader.
    private const long SeederUploadLimit = 4L * 1024 * 1024;
    private const long DownloaderUploadLimit = 8L * 1024 * 1024;

    /// <summary>How long the seeder's file may take to be found through the directory before the phase gives up.</summary>
    private static readonly TimeSpan FindTimeout = TimeSpan.FromSeconds(15);

    /// <summary>How long the downloads may take before the phase gives up on them (they take about 8 s).</summary>
    private static readonly TimeSpan CrowdTimeout = TimeSpan.FromSeconds(120);

    /// <summary>How long, after the last download, the uploads may take to see their connections close and end.</summary>
    private static readonly TimeSpan UploadsEndTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Runs the phase in <paramref name="root"/> against the demo's directory; returns the exit code.</summary>
    public static async Task<int> RunAsync(string root, HostPort server, IAnsiConsole console, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        console.Write(new Rule("[bold]flash crowd[/]"));
        var folder = Path.Combine(root, "crowd");
        var original = DemoCommand.Generate(Path.Combine(folder, "seeder", "shared", FileName), FileSize, seed: 4);
        var peers = new List<PeerNode>();
        try
        {
            var seeder = await DemoCommand.StartPeerAsync(peers, server, Path.Combine(folder, "seeder"), SeederUploadLimit, loggers, cancellationToken);
            console.WriteLine($"seeder listening on 127.0.0.1:{seeder.ListenPort}, sharing {FileName} ({Format.Bytes(FileSize)}), uploads limited to {Format.Speed(SeederUploadLimit)}");
            var downloaders = new List<PeerNode>();
            for (var i = 1; i <= Downloaders; i++)
            {
                downloaders.Add(await DemoCommand.StartPeerAsync(peers, server, Path.Combine(folder, $"downloader{i}"), DownloaderUploadLimit, loggers, cancellationToken));
            }

            console.WriteLine($"downloaders 1-{Downloaders} listening on {string.Join(", ", downloaders.Select(d => $"127.0.0.1:{d.ListenPort}"))}, sharing nothing yet, uploads limited to {Format.Speed(DownloaderUploadLimit)} each");
            if (!await FoundAsync(downloaders[0], seeder, cancellationToken))
            {
                console.MarkupLine($"[red]demo failed:[/] the directory did not list the seeder's {FileName} within {FindTimeout.TotalSeconds:0} s");
                return 1;
            }

            return await ShowCrowdAsync(console, seeder, downloaders, original, cancellationToken);
        }
        finally
        {
            foreach (var peer in peers)
            {
                await peer.DisposeAsync();
            }
        }
    }

    /// <summary>Waits until a search by <paramref name="downloader"/> lists the seeder's file (it is announced once hashed).</summary>
    private static async Task<bool> FoundAsync(PeerNode downloader, PeerNode seeder, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var results = await downloader.SearchAsync(FileName, cancellationToken);
            if (results.Any(r => r.Port == seeder.ListenPort && r.Files.Any(f => f.Name == FileName)))
            {
                return true;
            }

            if (clock.Elapsed > FindTimeout)
            {
                return false;
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task<int> ShowCrowdAsync(IAnsiConsole console, PeerNode seeder, List<PeerNode> downloaders, string original, CancellationToken cancellationToken)
    {
        console.WriteLine($"downloaders 1-{Downloaders} start downloading {FileName} at the same moment; each serves the chunks it has verified to the others");
        var clock = Stopwatch.StartNew();
        var downloads = downloaders.Select(d => d.StartDownload(FileName)).ToList();
        Task all = Task.WhenAll(downloads.Select(d => d.Completion));
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn())
            .StartAsync(async context =>
            {
                var rows = downloads.Select((d, i) => context.AddTask($"downloader {i + 1} [blue]↓ downloads[/] {FileName}", maxValue: FileSize)).ToList();
                while (true)
                {
                    for (var i = 0; i < rows.Count; i++)
                    {
                        rows[i].Value = downloads[i].Transfer.BytesDone;
                    }

                    if (all.IsCompleted || clock.Elapsed > CrowdTimeout)
                    {
                        break;
                    }

                    await Task.WhenAny(all, Task.Delay(100, cancellationToken));
                    cancellationToken.ThrowIfCancellationRequested();
                }
            });
        var elapsed = clock.Elapsed;
        if (!all.IsCompleted)
        {
            console.MarkupLine($"[red]demo failed: the flash crowd did not finish within {CrowdTimeout.TotalSeconds:0} s[/]");
            console.Write(Tables.Transfers([.. downloads.Select(d => d.Transfer)]));
            return 1;
        }

        // Each download's failure is reported below, from its own task.
        await all.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var failed = false;
        var verified = new bool[Downloaders];
        for (var i = 0; i < Downloaders; i++)
        {
            var completion = downloads[i].Completion;
            if (completion.IsCompletedSuccessfully)
            {
                verified[i] = DemoCommand.Sha256(completion.Result.Path) == original;
                failed |= !verified[i];
            }
            else
            {
                failed = true;
                var reason = completion.Exception?.InnerException?.Message ?? downloads[i].Transfer.Error ?? "cancelled";
                console.MarkupLine($"[red]downloader {i + 1}'s download failed:[/] {Markup.Escape(reason)}");
            }
        }

        // Each byte a downloader received was counted by its sender when it went out; the
        // uploads themselves end once the finished downloads close their connections.
        var peers = downloaders.Prepend(seeder).ToList();
        await UploadsEndedAsync(peers, cancellationToken);
        var seederName = HostPort.FormatEndPoint(IPAddress.Loopback, seeder.ListenPort);
        var seederUploaded = seeder.Transfers.TotalBytesDone(TransferDirection.Upload);
        var crowdUploaded = downloaders.Sum(d => d.Transfers.TotalBytesDone(TransferDirection.Upload));

        var summary = new Table().Border(TableBorder.Rounded)
            .AddColumn("peer").AddColumn(new TableColumn("upload limit").RightAligned()).AddColumn(new TableColumn("uploaded").RightAligned())
            .AddColumn(new TableColumn("received").RightAligned()).AddColumn(new TableColumn("from the seeder").RightAligned())
            .AddColumn(new TableColumn("from the crowd").RightAligned()).AddColumn(new TableColumn("time").RightAligned()).AddColumn("verified");
        summary.AddRow("seeder", Format.Speed(SeederUploadLimit), Format.Bytes(seederUploaded), "-", "-", "-", "-", "-");
        for (var i = 0; i < Downloaders; i++)
        {
            var transfer = downloads[i].Transfer;
            var sources = transfer.Sources;
            var fromSeeder = sources.Where(s => s.Source == seederName).Sum(s => s.BytesReceived);
            var fromCrowd = sources.Where(s => s.Source != seederName).Sum(s => s.BytesReceived);
            summary.AddRow(
                $"downloader {i + 1}",
                Format.Speed(DownloaderUploadLimit),
                Format.Bytes(downloaders[i].Transfers.TotalBytesDone(TransferDirection.Upload)),
                Format.Bytes(fromSeeder + fromCrowd),
                Format.Bytes(fromSeeder),
                Format.Bytes(fromCrowd),
                $"{transfer.Elapsed.TotalSeconds:0.00} s",
                verified[i] ? "[green]yes, byte-identical[/]" : downloads[i].Completion.IsCompletedSuccessfully ? "[red]NO, it differs[/]" : $"[red]NO, {Format.State(transfer.State)}[/]");
        }

        console.Write(summary);
        var copies = seederUploaded / (double)FileSize;
        var alone = TimeSpan.FromSeconds(Downloaders * (double)FileSize / SeederUploadLimit);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"the seeder uploaded {Format.Bytes(seederUploaded)} ({copies:0.00}× the file); the crowd uploaded {Format.Bytes(crowdUploaded)} to each other"));
        var cutShort = peers.SelectMany(p => p.Transfers.Snapshot()).Count(t => t.Direction == TransferDirection.Upload && t.State == TransferState.Failed);
        if (cutShort > 0)
        {
            console.WriteLine($"{cutShort} upload(s) ended early, logged above: a downloader hangs up once its file is complete, even on a chunk still on its way (the bytes sent count as uploaded)");
        }

        if (failed)
        {
            console.MarkupLine("[red]demo failed: a flash-crowd download failed or differs from the original[/]");
            return 1;
        }

        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Downloaders} downloads of {Format.Bytes(FileSize)} done in {elapsed.TotalSeconds:0.00} s; the seeder alone, sending {Downloaders} copies at {Format.Speed(SeederUploadLimit)}, would have needed {alone.TotalSeconds:0} s"));

        if (crowdUploaded <= 0 || seederUploaded >= (long)Downloaders * FileSize)
        {
            console.MarkupLine("[red]demo failed: the downloaders did not serve each other[/]");
            return 1;
        }

        return 0;
    }

    /// <summary>Waits, for a short while at most, until none of <paramref name="peers"/> has an upload running.</summary>
    private static async Task UploadsEndedAsync(List<PeerNode> peers, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (peers.Any(p => p.Transfers.RunningCount(TransferDirection.Upload) > 0) && clock.Elapsed < UploadsEndTimeout)
        {
            await Task.Delay(50, cancellationToken);
        }
    }
}
