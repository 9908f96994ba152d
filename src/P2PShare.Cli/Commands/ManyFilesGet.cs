using Microsoft.Extensions.Logging;
using P2PShare.Cli.Output;
using P2PShare.Peer;
using P2PShare.Protocol;
using Spectre.Console;

namespace P2PShare.Cli.Commands;

/// <summary>
/// <c>p2pshare get NAME NAME...</c> and <c>p2pshare get --folder PREFIX/</c>: several files in one
/// process, <c>--parallel</c> of them at a time, over one directory connection, with one
/// progress display and a summary. Each file is found, fetched and verified as a single
/// <c>get</c> does it, into the same folder layout (a name's folders are kept under
/// <c>--output</c>); a file that cannot be had (not shared, failed verification from every
/// source, no room) is reported and the others still land. Exits 0 when every file landed.
/// </summary>
internal sealed class ManyFilesGet
{
    private readonly DirectoryConnection _directory;
    private readonly Downloader _downloader;
    private readonly TransferTracker _transfers = new();
    private readonly List<FileJob> _jobs;
    private readonly Lock _outputLock = new();
    private readonly IAnsiConsole _stdout = Terminal.CreateStdout();
    private readonly ILogger _logger;
    private readonly bool _live;
    private int _next;
    private int _saved;
    private int _failed;

    private ManyFilesGet(DirectoryConnection directory, Downloader downloader, List<FileJob> jobs, ILogger logger, bool live)
    {
        _directory = directory;
        _downloader = downloader;
        _logger = logger;
        _jobs = jobs;
        _live = live;
    }

    /// <summary>
    /// Fetches <paramref name="names"/> and, when <paramref name="folder"/> is given (ending in
    /// <c>/</c>), every file whose name starts with it; returns the exit code.
    /// </summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> names, string? folder, HostPort server, string output, int parallel, DownloadOptions options, LogLevel logLevel)
    {
        using var shutdown = new Shutdown();
        using var loggers = Logging.Create(logLevel);
        var jobs = new List<FileJob>();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            jobs.Add(new FileJob(name) { Problem = FileName.Validate(name) });
        }

        DirectoryConnection directory;
        try
        {
            directory = await DirectoryConnection.ConnectAsync(server, TimeSpan.FromSeconds(10), shutdown.Token);
        }
        catch (Exception ex) when (ex is DirectoryException or OperationCanceledException)
        {
            return await GetCommand.ReportSetupFailureAsync(ex);
        }

        await using (directory)
        {
            if (folder is not null)
            {
                try
                {
                    await AddFolderAsync(directory, folder, jobs, shutdown.Token);
                }
                catch (Exception ex) when (ex is DirectoryException or OperationCanceledException)
                {
                    return await GetCommand.ReportSetupFailureAsync(ex);
                }

                if (jobs.Count == 0)
                {
                    await Console.Error.WriteLineAsync($"p2pshare get: {NothingUnder(folder)}");
                    return 1;
                }
            }

            var downloader = new Downloader(output, loggers.CreateLogger("p2pshare.download")) { Options = options };
            var run = new ManyFilesGet(directory, downloader, jobs, loggers.CreateLogger("p2pshare.get"), live: !Console.IsErrorRedirected);
            return await run.RunJobsAsync(parallel, shutdown.Token);
        }
    }

    /// <summary>
    /// Adds a job for every file under <paramref name="folder"/> that a search for it finds, each
    /// with its plan chosen from that one answer. An answer at the search's limit may leave
    /// files out: that is said, not hidden.
    /// </summary>
    private static async Task AddFolderAsync(DirectoryConnection directory, string folder, List<FileJob> jobs, CancellationToken cancellationToken)
    {
        var results = await directory.SearchAsync(folder, cancellationToken);
        var known = jobs.Select(job => job.Name).ToHashSet(StringComparer.Ordinal);
        var under = FolderSelection.NamesUnder(results, folder);
        foreach (var name in under.Where(known.Add))
        {
            var plan = DownloadPlan.Choose(results, name, null, out var notFound);
            jobs.Add(new FileJob(name) { Plan = plan, Problem = notFound });
        }

        if (under.Count == 0 && jobs.Count > 0)
        {
            // Beside names that may land, an empty folder is one more thing asked for and not had.
            jobs.Add(new FileJob(folder) { Problem = NothingUnder(folder) });
        }

        if (FolderSelection.IsFull(results))
        {
            await Console.Error.WriteLineAsync(
                $"p2pshare get: the directory's answer for \"{FileName.Printable(folder)}\" held its most ({Limits.MaxSearchResults} files): files under it beyond those may be missing; get them with a narrower --folder or by name");
        }
    }

    private static string NothingUnder(string folder) => $"no online peer shares a file under \"{FileName.Printable(folder)}\"";

    private async Task<int> RunJobsAsync(int parallel, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var workerCount = Math.Min(parallel, _jobs.Count);
        var workers = Task.WhenAll(Enumerable.Range(0, workerCount).Select(_ => Task.Run(() => WorkAsync(cancellationToken), CancellationToken.None)));
        await ShowProgressAsync(workers, workerCount);
        await workers;
        if (_live)
        {
            // The live display is on stderr: what finished is listed once it is gone.
            foreach (var job in _jobs)
            {
                Report(job);
            }
        }

        var bytes = _jobs.Sum(job => job.Result?.Size ?? (job.AlreadyHere is null ? 0 : (long)job.Plan!.Size));
        var interrupted = cancellationToken.IsCancellationRequested;
        var notDone = _jobs.Count - _saved - _failed;
        var tail = (_failed > 0 ? $", {_failed} failed" : "") + (notDone > 0 ? $", {notDone} not finished (interrupted)" : "");
        _stdout.WriteLine($"downloaded {_saved} of {_jobs.Count} files ({Format.Bytes(bytes)}) in {clock.Elapsed.TotalSeconds:0.00} s{tail}");
        return interrupted ? 130 : _failed > 0 ? 1 : 0;
    }

    /// <summary>Takes the next job until none is left, one at a time.</summary>
    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var index = Interlocked.Increment(ref _next) - 1;
            if (index >= _jobs.Count)
            {
                return;
            }

            var job = _jobs[index];
            await FetchAsync(job, cancellationToken);
            if (job.Problem is null && !job.Landed)
            {
                // Interrupted: what the downloader kept of it (a .part to resume, or nothing).
                lock (_outputLock)
                {
                    Console.Error.WriteLine($"p2pshare get: {FileName.Printable(job.Name)}: interrupted; {job.Transfer?.Error ?? "nothing was fetched"}");
                }

                return;
            }

            Interlocked.Increment(ref job.Landed ? ref _saved : ref _failed);
            if (!_live)
            {
                Report(job);
            }
        }
    }

    private async Task FetchAsync(FileJob job, CancellationToken cancellationToken)
    {
        if (job.Problem is not null)
        {
            return;
        }

        try
        {
            job.Plan ??= DownloadPlan.Choose(await _directory.SearchAsync(job.Name, cancellationToken), job.Name, null, out var notFound) ?? throw new DownloadException(notFound!);
            var plan = job.Plan;
            if (await AlreadyHereAsync(plan, cancellationToken) is { } path)
            {
                job.AlreadyHere = path;
                return;
            }

            job.Transfer = _transfers.Start(TransferDirection.Download, "-", plan.Name, plan.Refusal is null ? (long)plan.Size : 0);
            job.Result = await _downloader.DownloadAsync(plan, job.Transfer, FindSourcesAsync, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Left as the downloader leaves it (a .part to resume); counted as not finished.
        }
        catch (Exception ex) when (ex is DirectoryException or DownloadException)
        {
            job.Problem = ex.Message;
        }
        catch (Exception ex)
        {
            // A fault of this program: this file is reported and the others go on.
            _logger.LogDebug(ex, "download of {File} failed", job.Name);
            job.Problem = $"could not download \"{FileName.Printable(job.Name)}\": {ex.Message}";
        }
    }

    /// <summary>
    /// The path of <paramref name="plan"/>'s file when it is in the output folder already with
    /// the same content (same size, same id once hashed), so that running a batch again after an
    /// interruption fetches only what is missing rather than a numbered copy of what landed.
    /// </summary>
    private async Task<string?> AlreadyHereAsync(DownloadPlan plan, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_downloader.Folder, plan.Name.Replace('/', Path.DirectorySeparatorChar));
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.LinkTarget is not null || (ulong)info.Length != plan.Size)
            {
                return null;
            }

            return await ContentHasher.ComputeFileAsync(path, cancellationToken) == plan.Id ? path : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // unreadable: fetched as if it were not there
        }
    }

    private async Task<IReadOnlyList<DownloadSource>> FindSourcesAsync(DownloadPlan content, CancellationToken cancellationToken) =>
        content.SourcesIn((await _directory.LocateAsync(content.Id, cancellationToken)).Sources);

    /// <summary>A finished file's line: saved on stdout, failed on stderr.</summary>
    private void Report(FileJob job)
    {
        lock (_outputLock)
        {
            if (job.AlreadyHere is { } path)
            {
                _stdout.WriteLine($"already have {path} ({job.Plan!.Size} bytes, id {job.Plan.Id}, verified)");
            }
            else if (job.Result is { } result)
            {
                _stdout.WriteLine($"saved {result.Path} ({result.Size} bytes, id {result.Id}, verified, from {SourceText(result)} in {result.Elapsed.TotalSeconds:0.00} s)");
            }
            else if (job.Problem is { } problem)
            {
                Console.Error.WriteLine($"p2pshare get: {FileName.Printable(job.Name)}: {problem}");
            }
        }
    }

    private static string SourceText(DownloadResult result) =>
        result.SourceNames is { Length: > 0 } names ? names : result.Size == 0 ? "no source (it is empty)" : "no source (every chunk was here already)";

    /// <summary>
    /// One bar on stderr for the whole batch on a terminal (files done, bytes of the files
    /// started); otherwise a line saying what starts, the files being reported as they end.
    /// </summary>
    private async Task ShowProgressAsync(Task workers, int workerCount)
    {
        var console = Terminal.CreateStderr();
        if (!_live)
        {
            console.WriteLine($"downloading {_jobs.Count} files, {workerCount} at a time");
            return;
        }

        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Describe(), maxValue: 1);
                while (!workers.IsCompleted)
                {
                    Update(task);
                    await Task.WhenAny(workers, Task.Delay(200));
                }

                Update(task);
                if (_saved != _jobs.Count)
                {
                    task.StopTask();
                }
            });
    }

    private void Update(ProgressTask task)
    {
        var known = _jobs.Sum(job => job.Plan is { Refusal: null } plan ? (long)plan.Size : 0);
        task.MaxValue = Math.Max(1, known);
        task.Value = _jobs.Sum(job => job.Transfer?.BytesDone ?? 0);
        task.Description = Describe();
    }

    private string Describe() =>
        Markup.Escape($"{Volatile.Read(ref _saved)} of {_jobs.Count} files") + (Volatile.Read(ref _failed) is > 0 and var failed ? $" [red]{failed} failed[/]" : "");

    /// <summary>One file of the batch: its plan once chosen, then its transfer and how it ended.</summary>
    private sealed class FileJob(string name)
    {
        public string Name { get; } = name;

        public DownloadPlan? Plan { get; set; }

        public Transfer? Transfer { get; set; }

        public DownloadResult? Result { get; set; }

        /// <summary>Where the file was found already, whole and verified (nothing was fetched).</summary>
        public string? AlreadyHere { get; set; }

        public bool Landed => Result is not null || AlreadyHere is not null;

        /// <summary>Why the file could not be had (null while it may still land).</summary>
        public string? Problem { get; set; }
    }
}
