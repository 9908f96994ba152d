using P2PShare.Cli.Output;
using P2PShare.Peer;
using P2PShare.Protocol;
using Spectre.Console;

namespace P2PShare.Cli.Menu;

/// <summary>
/// The peer's numbered menu. It reads whole lines, so it works the same on a terminal and on a
/// pipe; downloads run in the background and report when they end, so the menu stays usable
/// while they run.
/// </summary>
internal sealed class PeerMenu
{
    private readonly PeerNode _node;
    private readonly TextReader _input;
    private readonly IAnsiConsole _console;
    private readonly Lock _outputLock = new();
    private IReadOnlyList<Tables.ResultRow> _lastResults = [];

    public PeerMenu(PeerNode node, TextReader input, IAnsiConsole console)
    {
        _node = node;
        _input = input;
        _console = console;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Write(console => console.MarkupLine($"[bold]p2pshare peer[/] on port {_node.ListenPort}, sharing {Markup.Escape(Sharing(_node.SharedFolders))}, directory {_node.ServerName}"));
        ShowChoices();
        while (!cancellationToken.IsCancellationRequested)
        {
            var line = await ReadLineAsync("choose 1-6> ", cancellationToken);
            if (line is null)
            {
                return;
            }

            switch (line.Trim().ToLowerInvariant())
            {
                case "":
                    break;
                case "1" or "search":
                    await SearchAsync(cancellationToken);
                    break;
                case "2" or "download":
                    await DownloadAsync(cancellationToken);
                    break;
                case "3" or "transfers":
                    Write(console => console.Write(Tables.Transfers(_node.Transfers.Snapshot())));
                    break;
                case "4" or "files":
                    ShowFiles();
                    break;
                case "5" or "rescan":
                    await RescanAsync(cancellationToken);
                    break;
                case "6" or "quit" or "q" or "exit":
                    Write(console => console.WriteLine("quitting: unregistering and ending transfers"));
                    return;
                case "?" or "h" or "help":
                    ShowChoices();
                    break;
                default:
                    Write(console => console.MarkupLine($"[yellow]'{Markup.Escape(line.Trim())}' is not a choice[/]"));
                    ShowChoices();
                    break;
            }
        }
    }

    private void ShowChoices() => Write(console =>
        console.WriteLine($"1 search · 2 download (by name, by row numbers of the last search, or a folder/) · 3 transfers · 4 my shared files · 5 rescan shared {(_node.SharedFolders.Downloads is null ? "folder" : "folders")} · 6 quit"));

    /// <summary>"N files from FOLDER", and "and M from DOWNLOADS" when the downloads folder is shared too.</summary>
    private static string Sharing(SharedFolders folders)
    {
        var text = $"{folders.Share.Count} files from {folders.Share.Root}";
        return folders.Downloads is { } downloads ? $"{text} and {folders.DownloadsCount} from {downloads.Root}" : text;
    }

    private async Task SearchAsync(CancellationToken cancellationToken)
    {
        var query = await ReadLineAsync("search for> ", cancellationToken);
        if (query is null)
        {
            return;
        }

        try
        {
            var results = await _node.SearchAsync(query.Trim(), cancellationToken);
            _lastResults = Tables.Rows(results);
            Write(console =>
            {
                if (_lastResults.Count == 0)
                {
                    console.WriteLine($"no file matches \"{query.Trim()}\"");
                    return;
                }

                console.Write(Tables.SearchResults(_lastResults));
                console.WriteLine($"{_lastResults.Count} file(s); choose 2 and a row number to download");
            });
        }
        catch (DirectoryException ex) when (ex.Message.StartsWith(DirectoryLink.UnreachableMessage, StringComparison.Ordinal))
        {
            // The peer reconnects by itself; uploads and running downloads go on meanwhile.
            Write(console => console.MarkupLine($"[yellow]search failed:[/] {Markup.Escape(ex.Message)}; try again in a moment"));
        }
        catch (DirectoryException ex)
        {
            Write(console => console.MarkupLine($"[red]search failed:[/] {Markup.Escape(ex.Message)}"));
        }
    }

    private async Task DownloadAsync(CancellationToken cancellationToken)
    {
        var answer = await ReadLineAsync("name, row numbers (1 3 5-7) or folder/> ", cancellationToken);
        if (string.IsNullOrWhiteSpace(answer))
        {
            return;
        }

        answer = answer.Trim();
        if (IsSharedName(answer))
        {
            Start(answer, null);
        }
        else if (RowSelection.TryParse(answer, _lastResults.Count, out var rows, out var problem))
        {
            if (problem is not null)
            {
                Write(console => console.MarkupLine($"[yellow]{Markup.Escape(problem)}[/]"));
                return;
            }

            foreach (var row in rows)
            {
                Start(_lastResults[row - 1].File.Name, _lastResults[row - 1].File.Id);
            }
        }
        else if (answer.EndsWith('/'))
        {
            await DownloadFolderAsync(answer, cancellationToken);
        }
        else
        {
            Start(answer, null);
        }
    }

    /// <summary>Starts a download of every file whose name starts with <paramref name="folder"/>, as a search for it finds them.</summary>
    private async Task DownloadFolderAsync(string folder, CancellationToken cancellationToken)
    {
        if (FolderSelection.Problem(folder) is { } problem)
        {
            Write(console => console.MarkupLine($"[yellow]not a folder of shared files: {Markup.Escape(problem)}[/]"));
            return;
        }

        IReadOnlyList<PeerFiles> results;
        try
        {
            results = await _node.SearchAsync(folder, cancellationToken);
        }
        catch (DirectoryException ex)
        {
            Write(console => console.MarkupLine($"[red]search for {Markup.Escape(folder)} failed:[/] {Markup.Escape(ex.Message)}"));
            return;
        }

        var names = FolderSelection.NamesUnder(results, folder);
        if (names.Count == 0)
        {
            Write(console => console.MarkupLine($"[yellow]no online peer shares a file under {Markup.Escape(folder)}[/]"));
            return;
        }

        if (FolderSelection.IsFull(results))
        {
            Write(console => console.MarkupLine($"[yellow]the search for {Markup.Escape(folder)} held its most ({Limits.MaxSearchResults} files): files beyond those may be missing[/]"));
        }

        Write(console => console.WriteLine($"{names.Count} file(s) under {folder}: downloading {Math.Min(names.Count, _node.ParallelDownloads)} at a time in the background"));
        foreach (var name in names)
        {
            Start(name, null, announce: false);
        }
    }

    private void Start(string name, ContentId? id, bool announce = true)
    {
        var (transfer, completion) = _node.StartDownload(name, id);
        if (announce)
        {
            Write(console => console.WriteLine($"download #{transfer.Number} of {name} started in the background; choose 3 to watch it"));
        }

        _ = ReportWhenDoneAsync(transfer, completion);
    }

    /// <summary>A row number is a number; a file literally named "3" in the last results is taken by name.</summary>
    private bool IsSharedName(string answer) => _lastResults.Any(r => r.File.Name == answer);

    private async Task ReportWhenDoneAsync(Transfer transfer, Task<DownloadResult> completion)
    {
        try
        {
            var result = await completion;
            Write(console => console.MarkupLine(
                $"[green]download #{transfer.Number} of {Markup.Escape(transfer.FileName)} finished:[/] {result.Size} bytes verified, saved as {Markup.Escape(result.Path)}"));
        }
        catch (OperationCanceledException)
        {
            Write(console => console.WriteLine($"download #{transfer.Number} of {transfer.FileName} stopped; {transfer.Error}"));
        }
        catch (Exception ex)
        {
            // Any failure, expected or not, is reported here: the download runs in the background
            // and nothing else would ever see it (the transfer itself is already marked failed).
            Write(console => console.MarkupLine($"[red]download #{transfer.Number} of {Markup.Escape(transfer.FileName)} failed:[/] {Markup.Escape(ex.Message)}"));
        }
    }

    private void ShowFiles()
    {
        var folders = _node.SharedFolders;
        var files = folders.Files;
        Write(console =>
        {
            console.Write(Tables.SharedFiles(files, file => folders.IsDownload(file) ? "downloads" : "shared"));
            var fromDownloads = folders.Downloads is null ? "" : $" ({files.Count(folders.IsDownload)} from the downloads folder)";
            console.WriteLine($"{files.Count} file(s){fromDownloads}, {Format.Bytes(files.Sum(f => f.Size))}, registered with the directory: {_node.RegisteredFiles}");
        });
    }

    private async Task RescanAsync(CancellationToken cancellationToken)
    {
        try
        {
            var changes = await _node.RescanAsync(cancellationToken);
            Write(console =>
            {
                foreach (var added in changes.Added)
                {
                    console.WriteLine($"+ {added.Name}");
                }

                foreach (var removed in changes.Removed)
                {
                    console.WriteLine($"- {removed}");
                }

                foreach (var skipped in changes.Skipped)
                {
                    console.MarkupLine($"[yellow]skipped {Markup.Escape(skipped)}[/]");
                }

                console.WriteLine($"rescan done: {changes.Added.Count} added or changed, {changes.Removed.Count} removed, {_node.RegisteredFiles} files registered");
            });
        }
        catch (Exception ex) when (ex is DirectoryException or IOException or UnauthorizedAccessException)
        {
            Write(console => console.MarkupLine($"[red]rescan failed:[/] {Markup.Escape(ex.Message)}"));
        }
    }

    private async Task<string?> ReadLineAsync(string prompt, CancellationToken cancellationToken)
    {
        Write(console => console.Write(new Text(prompt)));
        // Console.In reads block the calling thread and cannot be cancelled, so the read runs on
        // a pool thread and a shutdown signal simply stops waiting for it.
        try
        {
            return await Task.Run(_input.ReadLine, CancellationToken.None).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private void Write(Action<IAnsiConsole> write)
    {
        lock (_outputLock)
        {
            write(_console);
        }
    }
}
