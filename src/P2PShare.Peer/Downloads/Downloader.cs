using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// Downloads files from every peer that holds them (see <see cref="SwarmDownload"/>). Bytes go
/// into a preallocated <c>NAME.part</c>, chunk by verified chunk, with a resume record beside it
/// (<c>NAME.part.state</c>); only a complete file is renamed to <c>NAME</c> (or <c>NAME (1)</c>,
/// ... when <c>NAME</c> exists: nothing is overwritten). An interrupted download leaves the
/// <c>.part</c> and its record, and starting it again fetches only what is missing. Nothing in
/// the downloads folder is written through a link, nor replaced (see <see cref="DownloadFolder"/>
/// and <see cref="DownloadFiles"/>).
/// </summary>
public sealed class Downloader
{
    private readonly string _folder;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, byte> _active = new(StringComparer.Ordinal);

    public Downloader(string downloadsFolder, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(downloadsFolder);
        _folder = Path.GetFullPath(downloadsFolder);
        _logger = logger;
    }

    public string Folder => _folder;

    /// <summary>How this downloader's downloads run: sources, deadlines, buffers, what is offered to others.</summary>
    public DownloadOptions Options { get; init; } = new();

    internal ILogger Logger => _logger;

    /// <summary>
    /// Downloads <paramref name="plan"/>, or, when it has no working source, the first of its
    /// fallbacks that has one. <paramref name="findSources"/>, when given, is asked every
    /// <see cref="DownloadOptions.ResearchInterval"/> (and when every source has failed) for the peers that now
    /// hold the content being fetched.
    /// </summary>
    public async Task<DownloadResult> DownloadAsync(
        DownloadPlan plan,
        Transfer transfer,
        Func<DownloadPlan, CancellationToken, Task<IReadOnlyList<DownloadSource>>>? findSources = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(transfer);
        FileName.EnsureValid(plan.Name);
        var target = Path.Combine(_folder, plan.Name.Replace('/', Path.DirectorySeparatorChar));
        if (!_active.TryAdd(target, 0))
        {
            throw new DownloadException($"\"{plan.Name}\" is already being downloaded into {_folder}");
        }

        var slash = plan.Name.LastIndexOf('/');
        var attempts = new List<SwarmDownload>();
        try
        {
            using var folder = DownloadFolder.Open(_folder, slash < 0 ? string.Empty : plan.Name[..slash]);
            var (download, path) = await SwarmDownload.RunFirstWorkingAsync(this, plan, transfer, folder, plan.Name[(slash + 1)..], findSources, attempts, cancellationToken).ConfigureAwait(false);
            transfer.Complete(path);
            var result = new DownloadResult(path, (long)download.Plan.Size, download.Plan.Id, transfer.Sources, transfer.Elapsed, download.ResumedChunks, download.PartPath!);
            _logger.LogInformation("download of {File} finished: {Size} bytes verified from {Sources}, saved as {Path}", plan.Name, download.Plan.Size, result.SourceNames, path);
            return result;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            transfer.Cancel(Leftover(attempts));
            throw;
        }
        catch (Exception ex) when (ex is DownloadException or IOException or UnauthorizedAccessException)
        {
            var reason = ex is IOException io && IsDiskFull(io) ? $"the disk is full: {io.Message}" : ex.Message;
            var message = $"{(ex is DownloadException ? reason : $"could not save \"{plan.Name}\": {reason}")}; {Leftover(attempts)}";
            transfer.Fail(message);
            throw new DownloadException(message, ex);
        }
        finally
        {
            _active.TryRemove(target, out _);
        }
    }

    /// <summary>
    /// Keeps a finished download's <paramref name="held"/> chunks on offer until the share
    /// serves its content or <see cref="DownloadOptions.FinishedServeTime"/> has passed, then lets it go.
    /// </summary>
    internal void KeepServing(HeldDownload held)
    {
        var options = Options;
        if (options.FinishedServeTime <= TimeSpan.Zero || options.Holdings is null)
        {
            Release(held);
            return;
        }

        _ = Task.Run(async () =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.Elapsed < options.FinishedServeTime && options.IsServedElsewhere?.Invoke(held.Id) != true)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250)).ConfigureAwait(false);
            }

            Release(held);
        });
    }

    private void Release(HeldDownload held)
    {
        Options.Holdings?.Remove(held);
        held.Dispose();
    }

    internal static bool IsDiskFull(IOException exception) =>
        exception.HResult == LibC.NoSpace || exception.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// What a download that did not finish left on disk, in words: said after every failure and
    /// cancellation, so it is always the truth. Each content tried has a <c>.part</c> of its own,
    /// so each one kept is named.
    /// </summary>
    private static string Leftover(IReadOnlyList<SwarmDownload> attempts)
    {
        var kept = attempts
            .Where(a => a.KeptPartPath is not null)
            .Select(a => $"{a.KeptPartPath} is kept with {a.KeptChunks} of {a.ChunkCount} chunks verified, with its resume record")
            .ToList();
        return kept.Count == 0 ? "nothing was saved" : $"{string.Join("; ", kept)}: run the download again to resume";
    }
}
