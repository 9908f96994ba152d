using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using P2PShare.Cli.Output;
using P2PShare.Directory;
using P2PShare.Peer;
using P2PShare.Protocol;
using Spectre.Console;

namespace P2PShare.Cli.Commands;

/// <summary>
/// <c>p2pshare demo</c>: a directory server and three peers on 127.0.0.1 with temporary folders
/// and generated files. Peer 1 uploads to peer 2 while it downloads from peer 3; then a flash
/// crowd (<see cref="FlashCrowdDemo"/>): one seeder, four downloaders serving each other. Every
/// file is verified, a summary is printed, everything is cleaned up.
/// </summary>
internal static class DemoCommand
{
    private const int FileSize = 32 * 1024 * 1024;
    private const long UploadLimit = 12L * 1024 * 1024;

    public static Command Create()
    {
        var keep = new Option<bool>("--keep") { Description = "Keep the temporary folders for inspection" };
        var command = new Command("demo", "Run a directory server and peers on 127.0.0.1: concurrent transfers, then a flash crowd") { keep };
        command.SetAction((parse, _) => RunAsync(parse.GetValue(keep)));
        return command;
    }

    private static async Task<int> RunAsync(bool keep)
    {
        using var shutdown = new Shutdown();
        using var loggers = Logging.Create(LogLevel.Warning);
        var console = Terminal.CreateStdout();
        var root = Path.Combine(Path.GetTempPath(), "p2pshare-demo-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            return await RunInAsync(root, console, loggers, shutdown.Token);
        }
        catch (OperationCanceledException)
        {
            console.WriteLine("demo interrupted");
            return 130;
        }
        finally
        {
            if (!keep && System.IO.Directory.Exists(root))
            {
                System.IO.Directory.Delete(root, recursive: true);
            }
            else if (keep)
            {
                console.WriteLine($"kept {root}");
            }
        }
    }

    private static async Task<int> RunInAsync(string root, IAnsiConsole console, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        console.Write(new Rule("[bold]p2pshare demo[/]"));
        console.WriteLine($"temporary folder {root}");
        var originals = new Dictionary<string, string>
        {
            ["peer1-dataset.bin"] = Generate(Path.Combine(root, "peer1", "shared", "peer1-dataset.bin"), FileSize, seed: 1),
            ["peer2-notes.txt"] = Generate(Path.Combine(root, "peer2", "shared", "peer2-notes.txt"), 64 * 1024, seed: 2),
            ["peer3-video.bin"] = Generate(Path.Combine(root, "peer3", "shared", "peer3-video.bin"), FileSize, seed: 3),
        };

        var server = new DirectoryServer(
            new DirectoryServerOptions { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0) },
            new InMemoryPeerRegistry(),
            loggers.CreateLogger<DirectoryServer>());
        await using (server)
        {
            server.Start();
            var serverAddress = new HostPort("127.0.0.1", (ushort)server.LocalEndPoint.Port);
            console.WriteLine($"directory server listening on {serverAddress}");
            var result = await RunThreePeersAsync(root, serverAddress, console, originals, loggers, cancellationToken);
            if (result == 0)
            {
                result = await FlashCrowdDemo.RunAsync(root, serverAddress, console, loggers, cancellationToken);
            }

            if (result == 0)
            {
                console.MarkupLine("[green]demo complete: every file verified[/]; cleaning up");
            }

            return result;
        }
    }

    /// <summary>The first phase: three peers, peer 1 uploading while it downloads.</summary>
    private static async Task<int> RunThreePeersAsync(string root, HostPort serverAddress, IAnsiConsole console, Dictionary<string, string> originals, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var peers = new List<PeerNode>();
        try
        {
            for (var i = 1; i <= 3; i++)
            {
                var node = await StartPeerAsync(peers, serverAddress, Path.Combine(root, $"peer{i}"), UploadLimit, loggers, cancellationToken);
                console.WriteLine($"peer {i} listening on 127.0.0.1:{node.ListenPort}, sharing {string.Join(", ", node.Share.Files.Select(f => f.Name))}");
            }

            return await ShowTransfersAsync(console, peers, originals, cancellationToken);
        }
        finally
        {
            foreach (var peer in peers)
            {
                await peer.DisposeAsync();
            }
        }
    }

    private static async Task<int> ShowTransfersAsync(IAnsiConsole console, List<PeerNode> peers, Dictionary<string, string> originals, CancellationToken cancellationToken)
    {
        var (peer1, peer2, peer3) = (peers[0], peers[1], peers[2]);
        var results = await peer2.SearchAsync("dataset", cancellationToken);
        console.WriteLine("peer 2 searches for \"dataset\":");
        console.Write(Tables.SearchResults(Tables.Rows(results)));

        console.WriteLine($"peer 2 downloads peer1-dataset.bin from peer 1 while peer 1 downloads peer3-video.bin from peer 3 (uploads limited to {Format.Speed(UploadLimit)})");
        var toPeer2 = peer2.StartDownload("peer1-dataset.bin");
        var toPeer1 = peer1.StartDownload("peer3-video.bin");
        var both = Task.WhenAll(toPeer2.Completion, toPeer1.Completion);

        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn())
            .StartAsync(async context =>
            {
                var upload = context.AddTask("peer 1 [green]↑ uploads[/] peer1-dataset.bin to peer 2  ", maxValue: FileSize);
                var download = context.AddTask("peer 1 [blue]↓ downloads[/] peer3-video.bin from peer 3", maxValue: FileSize);
                while (!both.IsCompleted)
                {
                    upload.Value = Uploaded(peer1);
                    download.Value = toPeer1.Transfer.BytesDone;
                    await Task.WhenAny(both, Task.Delay(100, cancellationToken));
                }

                upload.Value = Uploaded(peer1);
                download.Value = toPeer1.Transfer.BytesDone;
            });

        try
        {
            await both;
        }
        catch (Exception ex) when (ex is DownloadException or DirectoryException)
        {
            console.MarkupLine($"[red]a transfer failed:[/] {Markup.Escape(ex.Message)}");
            return 1;
        }

        var uploadTransfer = peer1.Transfers.Snapshot().First(t => t.Direction == TransferDirection.Upload);
        var downloadTransfer = toPeer1.Transfer;
        var overlap = Overlap(uploadTransfer, downloadTransfer);

        var summary = new Table().Border(TableBorder.Rounded)
            .AddColumn("transfer").AddColumn(new TableColumn("bytes").RightAligned()).AddColumn(new TableColumn("time").RightAligned())
            .AddColumn(new TableColumn("speed").RightAligned()).AddColumn("verified");
        var allVerified = true;
        foreach (var (label, transfer, result) in new[]
        {
            ("peer 1 → peer 2: peer1-dataset.bin", toPeer2.Transfer, await toPeer2.Completion),
            ("peer 3 → peer 1: peer3-video.bin", toPeer1.Transfer, await toPeer1.Completion),
        })
        {
            var verified = Sha256(result.Path) == originals[transfer.FileName];
            allVerified &= verified;
            summary.AddRow(label, Format.Bytes(result.Size), $"{transfer.Elapsed.TotalSeconds:0.00} s", Format.Speed(transfer.BytesPerSecond), verified ? "[green]yes, byte-identical[/]" : "[red]NO[/]");
        }

        console.Write(summary);
        console.WriteLine($"peer 1 uploaded and downloaded at the same time for {overlap.TotalSeconds:0.00} s");
        console.WriteLine($"peer 2 still shares its own file: {peer2.Share.Files.Single().Name}; peer 3 served {peer3.Transfers.Snapshot().Count} upload(s)");
        if (!allVerified || overlap <= TimeSpan.Zero)
        {
            console.MarkupLine("[red]demo failed[/]");
            return 1;
        }

        return 0;
    }

    private static long Uploaded(PeerNode peer) => peer.Transfers.TotalBytesDone(TransferDirection.Upload);

    private static TimeSpan Overlap(Transfer first, Transfer second)
    {
        var start = first.StartedAt > second.StartedAt ? first.StartedAt : second.StartedAt;
        var firstEnd = first.StartedAt + first.Elapsed;
        var secondEnd = second.StartedAt + second.Elapsed;
        var end = firstEnd < secondEnd ? firstEnd : secondEnd;
        return end > start ? end - start : TimeSpan.Zero;
    }

    /// <summary>
    /// Starts a peer on 127.0.0.1 (a free port) sharing <c>FOLDER/shared</c> and saving into
    /// <c>FOLDER/downloads</c>, its uploads limited to <paramref name="uploadLimit"/>; adds it to
    /// <paramref name="peers"/> first, so that it is disposed with them even if it fails to start.
    /// </summary>
    internal static async Task<PeerNode> StartPeerAsync(List<PeerNode> peers, HostPort server, string folder, long uploadLimit, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var share = Path.Combine(folder, "shared");
        System.IO.Directory.CreateDirectory(share);
        var node = new PeerNode(
            new PeerOptions
            {
                Server = server,
                Port = 0,
                ListenAddress = IPAddress.Loopback,
                ShareFolder = share,
                DownloadsFolder = Path.Combine(folder, "downloads"),
                UploadLimit = uploadLimit,
            },
            loggers);
        peers.Add(node);
        await node.StartAsync(cancellationToken);
        return node;
    }

    /// <summary>Writes <paramref name="size"/> pseudo-random bytes; returns their SHA-256 in hex.</summary>
    internal static string Generate(string path, int size, int seed)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[size];
#pragma warning disable CA5394 // Demo content, not security.
        new Random(seed).NextBytes(bytes);
#pragma warning restore CA5394
        File.WriteAllBytes(path, bytes);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>The file's SHA-256 in hex.</summary>
    internal static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
