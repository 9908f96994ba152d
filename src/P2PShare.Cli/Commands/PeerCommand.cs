using System.CommandLine;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Cli.Menu;
using P2PShare.Cli.Output;
using P2PShare.Peer;

namespace P2PShare.Cli.Commands;

/// <summary>
/// <c>p2pshare peer --server HOST:PORT [--port 3300] [--share DIR] [--downloads DIR] [--no-share-downloads]
/// [--state DIR] [--upload-limit BYTES_PER_S] [--ping-interval S] [--peer-timeout S] [--no-menu]</c>: shares a folder, serves uploads,
/// and shows the menu (or runs headless until SIGINT/SIGTERM).
/// The shared folder (and the downloads folder, unless <c>--no-share-downloads</c>) is watched: files copied in, changed, renamed or deleted are announced within
/// about 2 s. On SIGINT/SIGTERM or quit, running uploads get up to <c>--drain-timeout</c> seconds
/// (default 10) to finish; <c>--max-connections</c> (1000) and <c>--max-per-address</c> (256) cap
/// the upload connections, more being answered busy; <c>--stall-timeout</c> (30) closes an upload
/// whose downloader takes nothing of it for that long.
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
        var downloads = new Option<string>("--downloads") { Description = "Folder downloads are saved in; its finished files are shared too (the shared folder's file wins a name both have)", DefaultValueFactory = _ => "./downloads" };
        var noShareDownloads = new Option<bool>("--no-share-downloads") { Description = "Do not share the downloads folder's files (the shared folder's are shared all the same)" };
        var state = new Option<string?>("--state")
        {
            Description = "Folder for the peer's state, such as the hash cache of shared files (default: $XDG_STATE_HOME/p2pshare or ~/.local/state/p2pshare); several peers may share one",
        };
        var uploadLimit = new Option<long?>("--upload-limit") { Description = "Total upload bandwidth, in bytes per second (default: no limit)" };
        var noMenu = new Option<bool>("--no-menu") { Description = "Run without the menu until SIGINT/SIGTERM" };
        var logLevel = CommonOptions.LogLevelOption();
        var sources = CommonOptions.Sources();
        var sourcesPerAddress = CommonOptions.SourcesPerAddress();
        var minSourceRate = CommonOptions.MinSourceRate();
        var parallel = CommonOptions.ParallelDownloads();
        var fsync = CommonOptions.Fsync();
        var directIo = CommonOptions.DirectIo();
        var command = new Command("peer", "Share a folder, serve other peers, search and download") { server, port, share, downloads, noShareDownloads, state, uploadLimit, sources, sourcesPerAddress, minSourceRate, parallel, fsync, directIo, noMenu, logLevel };
        var pingInterval = new Option<double>("--ping-interval")
        {
            Description = "Seconds of silence from the directory after which the peer PINGs it",
            DefaultValueFactory = _ => DirectoryHeartbeat.DefaultPingInterval.TotalSeconds,
        };
        var peerTimeout = new Option<double>("--peer-timeout")
        {
            Description = "Seconds of silence from the directory after which the peer reconnects",
            DefaultValueFactory = _ => DirectoryHeartbeat.DefaultTimeout.TotalSeconds,
        };
        command.Options.Add(pingInterval);
        command.Options.Add(peerTimeout);
        var drainTimeout = new Option<double>("--drain-timeout")
        {
            Description = "On SIGINT/SIGTERM or quit, seconds running uploads may take to finish before the peer closes them",
            DefaultValueFactory = _ => 10,
        };
        var maxConnections = new Option<int>("--max-connections")
        {
            Description = "Most upload connections served at once; more are answered busy",
            DefaultValueFactory = _ => 1000,
        };
        var maxPerAddress = new Option<int>("--max-per-address")
        {
            Description = "Most upload connections served at once to one address; more are answered busy",
            DefaultValueFactory = _ => 256,
        };
        var stallTimeout = new Option<double>("--stall-timeout")
        {
            Description = "Seconds a downloader may take to accept each MiB of an upload before the peer closes its connection and frees its slot",
            DefaultValueFactory = _ => UploadServer.DefaultStallTimeout.TotalSeconds,
        };
        command.Options.Add(drainTimeout);
        command.Options.Add(maxConnections);
        command.Options.Add(maxPerAddress);
        command.Options.Add(stallTimeout);
        command.Validators.Add(result =>
        {
            if (result.GetValue(drainTimeout) is not (>= 0 and <= 86_400))
            {
                result.AddError("--drain-timeout must be a number of seconds from 0 to 86400");
            }

            if (result.GetResult(maxConnections) is { Implicit: false } && result.GetValue(maxConnections) < 1)
            {
                result.AddError("--max-connections must be at least 1");
            }

            if (result.GetResult(maxPerAddress) is { Implicit: false } && result.GetValue(maxPerAddress) < 1)
            {
                result.AddError("--max-per-address must be at least 1");
            }

            if (result.GetResult(stallTimeout) is { Implicit: false } && result.GetValue(stallTimeout) is not (> 0 and <= 86_400))
            {
                result.AddError("--stall-timeout must be a positive number of seconds (at most 86400)");
            }
        });
        command.Validators.Add(result =>
        {
            // An option left out has no result here; its default applies.
            var interval = result.GetResult(pingInterval) is not { Implicit: false } ? DirectoryHeartbeat.DefaultPingInterval.TotalSeconds : result.GetValue(pingInterval);
            var timeout = result.GetResult(peerTimeout) is not { Implicit: false } ? DirectoryHeartbeat.DefaultTimeout.TotalSeconds : result.GetValue(peerTimeout);
            if (interval is not (> 0 and <= 86_400))
            {
                result.AddError("--ping-interval must be a positive number of seconds (at most 86400)");
            }

            if (timeout is not (> 0 and <= 86_400))
            {
                result.AddError("--peer-timeout must be a positive number of seconds (at most 86400)");
            }
            else if (timeout <= interval)
            {
                result.AddError("--peer-timeout must be longer than --ping-interval");
            }
        });
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
                ShareDownloads = !parse.GetValue(noShareDownloads),
                StateFolder = parse.GetValue(state) ?? PeerOptions.DefaultStateFolder(),
                UploadLimit = parse.GetValue(uploadLimit),
                MaxSources = parse.GetValue(sources),
                ParallelDownloads = parse.GetValue(parallel),
                SyncDownloadsToDisk = parse.GetValue(fsync),
                DirectWrites = parse.GetValue(directIo),
                SourceLimits = new SourceLimits { MaxPerAddress = parse.GetValue(sourcesPerAddress), MinRate = parse.GetValue(minSourceRate) },
                PingInterval = TimeSpan.FromSeconds(parse.GetValue(pingInterval)),
                PeerTimeout = TimeSpan.FromSeconds(parse.GetValue(peerTimeout)),
                WatchShare = true,
                DrainTimeout = TimeSpan.FromSeconds(parse.GetValue(drainTimeout)),
                MaxConnections = parse.GetValue(maxConnections),
                MaxConnectionsPerAddress = parse.GetValue(maxPerAddress),
                UploadStallTimeout = TimeSpan.FromSeconds(parse.GetValue(stallTimeout)),
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
        // Each upload connection and each download source is a file descriptor (1,000 uploads need more than 1024).
        var startLogger = loggers.CreateLogger("p2pshare.peer");
        P2PShare.Protocol.OpenFileLimit.RaiseToHardLimit(warning => startLogger.LogWarning("{Warning}", warning));
        if (options.ShareFolder == DefaultShare)
        {
            // Only the default is created: a mistyped --share should be an error, not a new empty folder.
            System.IO.Directory.CreateDirectory(DefaultShare);
        }

        var node = new PeerNode(options, loggers);
        await using (node)
        {
            bool scanned;
            try
            {
                await node.StartAsync(shutdown.Token);

                // The REGISTER went out after about a second of scanning; a share that will be
                // hashed in a moment more is reported whole, a big one at once.
                scanned = await node.WaitForInitialScanAsync(StartupHorizon, StartupLimit, shutdown.Token);
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

            // n is what the directory holds; the files the first scan is still hashing are announced
            // as they come. Whether the scan was done is taken from the wait, not looked up again: a
            // scan that ends just now has files the directory has not been told of yet.
            var hashing = scanned ? 0 : Math.Max(0, node.SharedFolders.Count + node.SharedFolders.PendingHashes - (long)node.RegisteredFiles);
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
