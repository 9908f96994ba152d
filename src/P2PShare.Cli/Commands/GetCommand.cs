using System.CommandLine;
using Microsoft.Extensions.Logging;
using P2PShare.Cli.Output;
using P2PShare.Peer;
using P2PShare.Protocol;
using Spectre.Console;

namespace P2PShare.Cli.Commands;

/// <summary>
/// <c>p2pshare get NAME --server HOST:PORT [--id HEX] [--output DIR]</c>: downloads one file
/// and exits 0 only once it is complete and verified in DIR.
/// </summary>
internal static class GetCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "Exact name of the file to download" };
        var server = CommonOptions.Server();
        var id = new Option<string?>("--id") { Description = "Content id (hex) of the file to download, when names are ambiguous" };
        var output = new Option<string>("--output")
        {
            Description = "Folder to save the file in",
            DefaultValueFactory = _ => ".",
        };
        var logLevel = CommonOptions.LogLevelOption();
        var command = new Command("get", "Download a file from the peers that share it") { name, server, id, output, logLevel };
        command.Validators.Add(result =>
        {
            var text = result.GetValue(id);
            if (text is not null && !ContentId.TryParse(text.ToLowerInvariant(), out _))
            {
                result.AddError($"--id must be {Limits.IdLength * 2} hex digits");
            }
        });
        command.SetAction((parse, _) => RunAsync(
            parse.GetValue(name)!,
            parse.GetValue(server)!,
            parse.GetValue(id) is { } hex ? ContentId.Parse(hex.ToLowerInvariant()) : null,
            parse.GetValue(output)!,
            parse.GetValue(logLevel) ?? LogLevel.Warning));
        return command;
    }

    private static async Task<int> RunAsync(string name, HostPort server, ContentId? id, string output, LogLevel logLevel)
    {
        using var shutdown = new Shutdown();
        using var loggers = Logging.Create(logLevel);
        var error = FileName.Validate(name);
        if (error is not null && id is null)
        {
            await Console.Error.WriteLineAsync($"p2pshare get: {error}");
            return 2;
        }

        DownloadPlan plan;
        try
        {
            var directory = await DirectoryConnection.ConnectAsync(server, TimeSpan.FromSeconds(10), shutdown.Token);
            await using (directory)
            {
                var results = await directory.SearchAsync(error is null ? name : string.Empty, shutdown.Token);
                plan = DownloadPlan.Choose(results, name, id, out var notFound)
                    ?? throw new DownloadException(notFound!);
            }
        }
        catch (Exception ex) when (ex is DirectoryException or DownloadException)
        {
            await Console.Error.WriteLineAsync($"p2pshare get: {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("p2pshare get: cancelled");
            return 130;
        }

        var downloader = new Downloader(output, loggers.CreateLogger("p2pshare.download"));
        var transfer = new TransferTracker().Start(TransferDirection.Download, "-", plan.Name, (long)plan.Size);
        var download = downloader.DownloadAsync(plan, transfer, shutdown.Token);
        await ShowProgressAsync(transfer, download);
        try
        {
            var result = await download;
            Console.WriteLine($"saved {result.Path} ({result.Size} bytes, id {result.Id}, verified, from {result.Source} in {result.Elapsed.TotalSeconds:0.00} s)");
            return 0;
        }
        catch (DownloadException ex)
        {
            await Console.Error.WriteLineAsync($"p2pshare get: {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("p2pshare get: cancelled; nothing was saved");
            return 130;
        }
    }

    /// <summary>A live progress bar on stderr while the download runs (stdout stays for the result line).</summary>
    private static async Task ShowProgressAsync(Transfer transfer, Task download)
    {
        var console = Terminal.CreateStderr();
        if (Console.IsErrorRedirected)
        {
            console.WriteLine($"downloading {transfer.FileName} ({Format.Bytes(transfer.TotalBytes)})");
            await Task.WhenAny(download);
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
    }
}
