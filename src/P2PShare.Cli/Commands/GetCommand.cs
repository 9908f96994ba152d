using System.CommandLine;
using Microsoft.Extensions.Logging;
using P2PShare.Cli.Output;
using P2PShare.Peer;
using P2PShare.Protocol;
using Spectre.Console;

namespace P2PShare.Cli.Commands;

/// <summary>
/// <c>p2pshare get NAME --server HOST:PORT [--output DIR] [--sources N] [--sources-per-address N]
/// [--min-source-rate BYTES_PER_S]</c>, or <c>p2pshare get --id HEX [NAME] ...</c>: downloads one
/// file from every peer that holds it, wholly or in part, and exits 0 only once it is complete
/// and verified in DIR. By name, it searches; when the name stands for several contents, the one
/// held by the most addresses is tried first and the next when it has no working source. By id,
/// it asks the directory who holds the content (LOCATE) and saves it as NAME, or under the name a
/// holder shares it by. While it runs, it asks the directory again for new sources (LOCATE, as
/// often as <see cref="DownloadOptions.ResearchInterval"/> says). Interrupted, it leaves
/// <c>NAME.part</c> and its resume record; run again, it resumes. Given several names, or
/// <c>--folder PREFIX/</c>, it fetches them all in one process (<see cref="ManyFilesGet"/>).
/// </summary>
internal static class GetCommand
{
    public static Command Create()
    {
        var names = new Argument<string[]>("NAME") { Description = "Exact name of each file to download (with --id: the one name to save it as)", Arity = ArgumentArity.ZeroOrMore };
        var server = CommonOptions.Server();
        var id = new Option<string?>("--id") { Description = "Content id (hex) of the file to download: found by id (LOCATE), under whatever name its holders share it" };
        var output = new Option<string>("--output")
        {
            Description = "Folder to save the files in (a name's folders are made under it)",
            DefaultValueFactory = _ => ".",
        };
        var folder = new Option<string?>("--folder")
        {
            Description = "Download every file whose name starts with PREFIX/ (its subfolders kept under --output), as one search finds them",
            HelpName = "PREFIX/",
        };
        var parallel = CommonOptions.ParallelDownloads();
        var sources = CommonOptions.Sources();
        var sourcesPerAddress = CommonOptions.SourcesPerAddress();
        var minSourceRate = CommonOptions.MinSourceRate();
        var fsync = CommonOptions.Fsync();
        var directIo = CommonOptions.DirectIo();
        var logLevel = CommonOptions.LogLevelOption();
        var command = new Command("get", "Download files from the peers that share them") { names, server, id, folder, parallel, output, sources, sourcesPerAddress, minSourceRate, fsync, directIo, logLevel };
        command.Validators.Add(result =>
        {
            var text = result.GetValue(id);
            var count = result.GetValue(names)?.Length ?? 0;
            var prefix = result.GetValue(folder);
            if (text is not null && !ContentId.TryParse(text.ToLowerInvariant(), out _))
            {
                result.AddError($"--id must be {Limits.IdLength * 2} hex digits");
            }
            else if (text is not null && (count > 1 || prefix is not null))
            {
                result.AddError("--id takes at most one NAME (the name to save it as) and no --folder");
            }
            else if (text is null && count == 0 && prefix is null)
            {
                result.AddError("give the NAME of each file to download, a --folder PREFIX/, or a content id with --id HEX");
            }
            else if (prefix is not null && FolderSelection.Problem(prefix) is { } problem)
            {
                result.AddError($"--folder: {problem}");
            }
        });
        command.SetAction((parse, _) =>
        {
            var chosen = parse.GetValue(names) ?? [];
            var prefix = parse.GetValue(folder);
            var options = new DownloadOptions
            {
                MaxSources = parse.GetValue(sources),
                SourceLimits = new SourceLimits { MaxPerAddress = parse.GetValue(sourcesPerAddress), MinRate = parse.GetValue(minSourceRate) },
                SyncToDisk = parse.GetValue(fsync),
                DirectWrites = parse.GetValue(directIo),
            };
            var logging = parse.GetValue(logLevel) ?? LogLevel.Warning;
            var hex = parse.GetValue(id);
            if (hex is null && (chosen.Length > 1 || prefix is not null))
            {
                return ManyFilesGet.RunAsync(chosen, prefix is null ? null : FolderSelection.AsFolder(prefix), parse.GetValue(server)!, parse.GetValue(output)!, parse.GetValue(parallel), options, logging);
            }

            return RunAsync(chosen.FirstOrDefault(), parse.GetValue(server)!, hex is null ? null : ContentId.Parse(hex.ToLowerInvariant()), parse.GetValue(output)!, options, logging);
        });
        return command;
    }

    private static async Task<int> RunAsync(string? name, HostPort server, ContentId? id, string output, DownloadOptions options, LogLevel logLevel)
    {
        using var shutdown = new Shutdown();
        using var loggers = Logging.Create(logLevel);
        var error = name is null ? null : FileName.Validate(name);
        if (error is not null)
        {
            await Console.Error.WriteLineAsync($"p2pshare get: {error}");
            return 2;
        }

        DirectoryConnection directory;
        DownloadPlan plan;
        try
        {
            directory = await DirectoryConnection.ConnectAsync(server, TimeSpan.FromSeconds(10), shutdown.Token);
            string? notFound;
            plan = (id is { } wanted
                    ? DownloadPlan.Choose(await directory.LocateAsync(wanted, shutdown.Token), name, out notFound)
                    : DownloadPlan.Choose(await directory.SearchAsync(name!, shutdown.Token), name!, null, out notFound))
                ?? throw new DownloadException(notFound!);
        }
        catch (Exception ex) when (ex is DirectoryException or DownloadException or OperationCanceledException)
        {
            return await ReportSetupFailureAsync(ex);
        }

        // The directory connection stays open while the download runs: it is asked again for new sources.
        await using (directory)
        {
            var downloader = new Downloader(output, loggers.CreateLogger("p2pshare.download")) { Options = options };
            var transfer = new TransferTracker().Start(TransferDirection.Download, "-", plan.Name, plan.Refusal is null ? (long)plan.Size : 0);
            var download = downloader.DownloadAsync(plan, transfer, FindSourcesAsync, shutdown.Token);
            await ShowProgressAsync(transfer, download);
            var stdout = Terminal.CreateStdout();
            try
            {
                var result = await download;
                stdout.Write(Tables.Sources(transfer.Sources));
                if (result.ResumedChunks > 0)
                {
                    stdout.WriteLine($"resumed: {result.ResumedChunks} chunk(s) were already verified in {Path.GetFileName(result.PartPath)}");
                }

                var from = result.SourceNames is { Length: > 0 } names ? names : result.Size == 0 ? "no source (it is empty)" : "no source (every chunk was here already)";
                stdout.WriteLine($"saved {result.Path} ({result.Size} bytes, id {result.Id}, verified, from {from} in {result.Elapsed.TotalSeconds:0.00} s)");
                return 0;
            }
            catch (DownloadException ex)
            {
                stdout.Write(Tables.Sources(transfer.Sources));
                await Console.Error.WriteLineAsync($"p2pshare get: {ex.Message}");
                return 1;
            }
            catch (OperationCanceledException)
            {
                stdout.Write(Tables.Sources(transfer.Sources));
                // The downloader says what it left: a .part to resume, or nothing.
                await Console.Error.WriteLineAsync($"p2pshare get: interrupted; {transfer.Error}");
                return 130;
            }
            catch (Exception ex)
            {
                // A fault of this program, not of the sources or the disk: the reason, and the
                // details in the log (--log-level Debug), rather than a stack trace on the terminal.
                loggers.CreateLogger("p2pshare.get").LogDebug(ex, "download of {File} failed", plan.Name);
                stdout.Write(Tables.Sources(transfer.Sources));
                await Console.Error.WriteLineAsync($"p2pshare get: could not download \"{plan.Name}\": {ex.Message}");
                return 1;
            }
        }

        // By id, whatever the name: holders of the whole file under any name and partial holders.
        async Task<IReadOnlyList<DownloadSource>> FindSourcesAsync(DownloadPlan content, CancellationToken cancellationToken) =>
            content.SourcesIn((await directory.LocateAsync(content.Id, cancellationToken)).Sources);
    }

    /// <summary>
    /// Says on stderr why a <c>get</c> ended before any download started (the directory could not
    /// be reached or refused, nothing fits the name, or a signal came); returns the exit code: 130
    /// for a signal, 1 otherwise.
    /// </summary>
    public static async Task<int> ReportSetupFailureAsync(Exception failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var cancelled = failure is OperationCanceledException;
        await Console.Error.WriteLineAsync($"p2pshare get: {(cancelled ? "cancelled" : failure.Message)}");
        return cancelled ? 130 : 1;
    }

    /// <summary>
    /// Progress on stderr while the download runs (stdout stays for the result): a live bar on a
    /// terminal; otherwise a line when the download starts and one for each source dropped, and one
    /// for each content given up for the next one found under the name, saying why (on a
    /// terminal, those lines follow the bar).
    /// </summary>
    private static async Task ShowProgressAsync(Transfer transfer, Task download)
    {
        var console = Terminal.CreateStderr();
        var reported = new HashSet<string>(StringComparer.Ordinal);
        var switchesReported = 0;
        // One line per event, never wrapped (a content's line holds two full ids): scripts match them whole.
        var events = console.Profile.Out.Writer;
        void ReportDrops()
        {
            foreach (var source in transfer.Sources.Where(s => s.DroppedReason is not null && reported.Add(s.Source)))
            {
                events.WriteLine($"dropped source {source.Source}: {source.DroppedReason}");
            }

            foreach (var change in transfer.ContentSwitches.Skip(switchesReported))
            {
                events.WriteLine($"{change.From.Describe()} failed: {change.Reason}; trying {change.To.Describe()}");
                switchesReported++;
            }
        }

        if (Console.IsErrorRedirected)
        {
            console.WriteLine($"downloading {transfer.FileName} ({Format.Bytes(transfer.TotalBytes)})");
            while (!download.IsCompleted)
            {
                ReportDrops();
                await Task.WhenAny(download, Task.Delay(200));
            }

            ReportDrops();
            return;
        }

        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(transfer.FileName), maxValue: Math.Max(1, transfer.TotalBytes));
                while (!download.IsCompleted)
                {
                    task.Description = Markup.Escape($"{transfer.FileName} ← {transfer.Peer}");
                    task.Value = transfer.BytesDone;
                    await Task.WhenAny(download, Task.Delay(200));
                }

                task.Value = transfer.BytesDone;
                if (transfer.State != TransferState.Completed)
                {
                    task.StopTask();
                }
            });
        ReportDrops();
    }
}
