using System.CommandLine;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Cli.Menu;
using P2PShare.Cli.Output;
using P2PShare.Peer;

namespace P2PShare.Cli.Commands;

/// <summary>
/// <c>p2pshare peer --server HOST:PORT [--port 3300] [--share DIR] [--downloads DIR]
/// [--state DIR] [--upload-limit BYTES_PER_S] [--no-menu]</c>: shares a folder, serves uploads,
/// and shows the menu (or runs headless until SIGINT/SIGTERM).
/// </summary>
internal static class PeerCommand
{
    private const string DefaultShare = "./shared";

    private static readonly TimeSpan StartupHorizon = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan StartupLimit = TimeSpan.FromSeconds(10);

    public static Command Create()
    {
        var server = CommonOptions.Server();
        var port = new Option<ushort>("--port")
        {
            Description = "Port to serve other peers on (0 picks a free one)",
            DefaultValueFactory = _ => PeerOptions.DefaultPort,
        };
        var share = new Option<string>("--share") { Description = "Folder to share (the default ./shared is created when missing)", DefaultValueFactory = _ => DefaultShare };
        var downloads = new Option<string>("--downloads") { Description = "Folder downloads are saved in", DefaultValueFactory = _ => "./downloads" };
        var state = new Option<string?>("--state")
        {
            Description = "Folder for the peer's state, such as the hash cache of shared files (default: $XDG_STATE_HOME/p2pshare or ~/.local/state/p2pshare); several peers may share one",
        };
        var uploadLimit = new Option<long?>("--upload-limit") { Description = "Total upload bandwidth, in bytes per second (default: no limit)" };
        var noMenu = new Option<bool>("--no-menu") { Description = "Run without the menu until SIGINT/SIGTERM" };
        var logLevel = CommonOptions.LogLevelOption();
        var sources = CommonOptions.Sources();
        var command = new Command("peer", "Share a folder, serve other peers, search and download") { server, port, share, downloads, state, uploadLimit, sources, noMenu, logLevel };
        command.Validators.Add(result =>
        {
            if (result.GetValue(uploadLimit) is <= 0)
            {
                result.AddError("--upload-limit must be a positive number of bytes per second");
            }

            if (result.GetValue(state) is { } folder && string.IsNullOrWhiteSpace(folder))
            {
                result.AddError("--state must name a folder");
            }
        });
        command.SetAction((parse, _) =>
        {
            var options = new PeerOptions
            {
                Server = parse.GetValue(server)!,
                Port = parse.GetValue(port),
                ShareFolder = parse.GetValue(share)!,
                DownloadsFolder = parse.GetValue(downloads)!,
                StateFolder = parse.GetValue(state) ?? PeerOptions.DefaultStateFolder(),
                UploadLimit = parse.GetValue(uploadLimit),
                MaxSources = parse.GetValue(sources),
            };
            var headless = parse.GetValue(noMenu);
            // The menu shares the terminal with the log, so only warnings interrupt it.
            var level = parse.GetValue(logLevel) ?? (headless ? LogLevel.Information : LogLevel.Warning);
            return RunAsync(options, headless, level);
        });
        return command;
    }

    private static async Task<int> RunAsync(PeerOptions options, bool headless, LogLevel logLevel)
    {
        using var shutdown = new Shutdown();
        using var loggers = Logging.Create(logLevel);
        if (options.ShareFolder == DefaultShare)
        {
            // Only the default is created: a mistyped --share should be an error, not a new empty folder.
            System.IO.Directory.CreateDirectory(DefaultShare);
        }

        var node = new PeerNode(options, loggers);
        await using (node)
        {
            try
            {
                await node.StartAsync(shutdown.Token);

                // The REGISTER went out after about a second of scanning; a share that will be
                // hashed in a moment more is reported whole, a big one at once.
                await node.WaitForInitialScanAsync(StartupHorizon, StartupLimit, shutdown.Token);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                await Console.Error.WriteLineAsync($"p2pshare peer: port {options.Port} is already in use; choose another with --port");
                return 1;
            }
            catch (Exception ex) when (ex is DirectoryException or IOException or UnauthorizedAccessException or SocketException)
            {
                await Console.Error.WriteLineAsync($"p2pshare peer: {ex.Message}");
                return 1;
            }
            catch (OperationCanceledException)
            {
                return 0;
            }

            // n is what the directory holds; the files the first scan is still hashing are announced as they come.
            var hashing = node.InitialScan.IsCompleted ? 0 : node.Share.Count + node.Share.PendingHashes - (long)node.RegisteredFiles;
            var more = hashing > 0 ? $", hashing {hashing} more" : "";
            Console.WriteLine($"p2pshare peer listening on port {node.ListenPort}, sharing {node.RegisteredFiles} files, registered with {node.ServerName}{more}");
            await Console.Out.FlushAsync();
            if (headless)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, shutdown.Token);
                }
                catch (OperationCanceledException)
                {
                    // SIGINT or SIGTERM: unregister and exit 0.
                }
            }
            else
            {
                var menu = new PeerMenu(node, Console.In, Terminal.CreateStdout());
                await menu.RunAsync(shutdown.Token);
            }

            Console.WriteLine("p2pshare peer stopping: unregistering and closing transfers");
        }

        return 0;
    }
}
