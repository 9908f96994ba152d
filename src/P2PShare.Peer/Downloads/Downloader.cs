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

    /// <summary>Most sources used at once (<c>--sources</c>).</summary>
    public int MaxSources { get; init; } = 8;

    /// <summary>
    /// GET requests (1 MiB each) kept in flight for one download, shared among its sources: all
    /// of them on a single source, fewer per source with more sources, but at least one each. A
    /// download from 4 peers with 4 GETs in flight on each ran ~10% slower on the reference
    /// machine than with one on each: the bytes queued beyond what the downloader can take only
    /// keep more senders busy on the same cores (BENCHMARKS.md, row 2).
    /// </summary>
    public int RequestsInFlight { get; init; } = 4;

    /// <summary>
    /// A lone source that delivers at least this many bytes per second (measured over 8 MiB)
    /// gets a second connection for the rest of the file, when at least
    /// <see cref="SecondConnectionMinChunks"/> chunks are left; null never opens one. The
    /// default, 256 MiB/s, is above what one connection carries over gigabit Ethernet, where a
    /// second one gains nothing, and below what one carries over loopback or 10 GbE, where it
    /// puts a second core to work: a 2 GiB download over loopback ran 8–10% faster with two
    /// (BENCHMARKS.md, row 1).
    /// </summary>
    public long? SecondConnectionRate { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// Chunks (MiB) that must be left for a second connection to a lone source. A second
    /// connection shows as a second upload at the source, and on a smaller file it would save
    /// less than ~25 ms (a tenth of what the rest takes at 1 GB/s), so only large files get one.
    /// </summary>
    internal int SecondConnectionMinChunks { get; init; } = 256;

    /// <summary>
    /// Most chunks received but not yet verified and written, per source (each holds a 1 MiB
    /// buffer), so receiving runs ahead of hashing and writing by this much.
    /// </summary>
    public int ChunksAheadPerSource { get; init; } = 4;

    /// <summary>
    /// Whether whole chunks are written to the <c>.part</c> with direct I/O where the file system
    /// allows it (see <see cref="PartFile"/>); false writes everything through the page cache.
    /// </summary>
    public bool DirectWrites { get; init; } = true;

    /// <summary>How often, at most, a running download rewrites its resume record (it also does when it stops).</summary>
    public TimeSpan ResumeRecordInterval { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A source that sends nothing for this long is dropped.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a running download searches again for new sources.</summary>
    public TimeSpan ResearchInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a source dropped for a failure that is not a lie (lost, too slow, refusing) is
    /// left alone before a lookup that still lists it may bring it back; doubled with each drop.
    /// </summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The minimum rate sources must deliver at, and how many one address may supply.</summary>
    public SourceLimits SourceLimits { get; init; } = new();

    /// <summary>
    /// Where running downloads offer their verified chunks to other downloaders (the peer's
    /// upload server serves them from there); null offers nothing (<c>p2pshare get</c>, which
    /// serves nobody).
    /// </summary>
    public HeldDownloads? Holdings { get; init; }

    /// <summary>
    /// How long a finished download is still served by content id from the file it was assembled
    /// in, waiting for <see cref="IsServedElsewhere"/> to say the share serves it: a peer sharing
    /// its downloads folder hashes a new file before it lists it, and the crowd should not lose a
    /// source meanwhile. Zero stops at once (<c>--no-share-downloads</c>).
    /// </summary>
    public TimeSpan FinishedServeTime { get; init; } = DefaultFinishedServeTime;

    /// <summary>The default <see cref="FinishedServeTime"/>.</summary>
    public static readonly TimeSpan DefaultFinishedServeTime = TimeSpan.FromSeconds(60);

    /// <summary>Whether the peer serves a content from its shared files now; a finished download held for others is then let go.</summary>
    public Func<ContentId, bool>? IsServedElsewhere { get; init; }

    internal ILogger Logger => _logger;

    /// <summary>
    /// Downloads <paramref name="plan"/>, or, when it has no working source, the first of its
    /// fallbacks that has one. <paramref name="findSources"/>, when given, is asked every
    /// <see cref="ResearchInterval"/> (and when every source has failed) for the peers that now
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
    /// serves its content or <see cref="FinishedServeTime"/> has passed, then lets it go.
    /// </summary>
    internal void KeepServing(HeldDownload held)
    {
        if (FinishedServeTime <= TimeSpan.Zero || Holdings is null)
        {
            Release(held);
            return;
        }

        _ = Task.Run(async () =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.Elapsed < FinishedServeTime && IsServedElsewhere?.Invoke(held.Id) != true)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250)).ConfigureAwait(false);
            }

            Release(held);
        });
    }

    private void Release(HeldDownload held)
    {
        Holdings?.Remove(held);
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
