using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// A running peer: its shared folders, its upload server, its registration with the directory, and
/// its downloads, which run in the background while it keeps serving others.
/// </summary>
/// <remarks>
/// The shared folder (and the downloads folder, when finished downloads are shared) is scanned
/// in the background: files are served and announced (REGISTER, then ADDs in batches) as their
/// ids become known, from the hash cache at once and otherwise as they are hashed. Every scan,
/// the first one and rescans alike, reports through <see cref="SharedFolders.Announcing"/> to the
/// same queue of pending announcements, which holds the last word for each name, so nothing is
/// announced twice or lost when a rescan follows the first scan.
/// </remarks>
public sealed class PeerNode : IAsyncDisposable, IShareObserver
{
    /// <summary>Announcements of newly hashed files go out at most this often (one ADD per batch).</summary>
    internal static readonly TimeSpan AnnounceInterval = TimeSpan.FromMilliseconds(250);

    private readonly PeerOptions _options;
    private readonly ILogger _logger;
    private readonly HashCache? _cache;
    private readonly ShareIndex _share;
    private readonly ShareIndex? _downloadsShare;
    private readonly SharedFolders _folders;
    private readonly IShareObserver _shareReports;
    private readonly IShareObserver? _downloadsReports;
    private readonly UploadServer _uploads;
    private readonly Downloader _downloader;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Transfer, Task<DownloadResult>> _downloads = new();
    private readonly SemaphoreSlim _announceLock = new(1, 1);
    private readonly SemaphoreSlim _downloadSlots;

    // Announcements not sent yet: the last word for each name (an entry to ADD, or null to REMOVE).
    private readonly Lock _pendingLock = new();
    private readonly Dictionary<string, FileEntry?> _pending = new(StringComparer.Ordinal);
    private readonly Channel<bool> _pendingSignal = System.Threading.Channels.Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    private DirectoryLink? _directory;
    private HoldAnnouncer? _holdAnnouncer;
    private Task _initialScan = Task.CompletedTask;
    private Task _announcer = Task.CompletedTask;
    private Task _holdAnnouncements = Task.CompletedTask;
    private ShareWatcher? _watcher;
    private ShareWatcher? _downloadsWatcher;

    public PeerNode(PeerOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ParallelDownloads, 1);
        _options = options;
        _downloadSlots = new SemaphoreSlim(options.ParallelDownloads, options.ParallelDownloads);
        _logger = loggerFactory.CreateLogger("p2pshare.peer");
        _cache = options.StateFolder is { Length: > 0 } state ? HashCache.Open(state, loggerFactory.CreateLogger("p2pshare.hashcache")) : null;
        _share = new ShareIndex(options.ShareFolder, _cache);
        if (options.ShareDownloads && SharedFolders.NeedsOwnIndex(options.ShareFolder, options.DownloadsFolder))
        {
            _downloadsShare = new ShareIndex(options.DownloadsFolder, _cache);
        }

        _folders = new SharedFolders(_share, _downloadsShare);
        _shareReports = _folders.Announcing(_share, this);
        _downloadsReports = _downloadsShare is null ? null : _folders.Announcing(_downloadsShare, this);
        _uploads = new UploadServer(new IPEndPoint(options.ListenAddress ?? AnyAddress, options.Port), _folders, Transfers, options.UploadLimit, loggerFactory.CreateLogger("p2pshare.upload"))
        {
            Held = Held,
            MaxConnections = options.MaxConnections,
            MaxConnectionsPerAddress = options.MaxConnectionsPerAddress,
            StallTimeout = options.UploadStallTimeout,
        };
        _downloader = new Downloader(options.DownloadsFolder, loggerFactory.CreateLogger("p2pshare.download"))
        {
            Options = new DownloadOptions
            {
                MaxSources = options.MaxSources,
                SourceLimits = options.SourceLimits,
                SyncToDisk = options.SyncDownloadsToDisk,
                DirectWrites = options.DirectWrites,
                Holdings = Held,
                FinishedServeTime = options.ShareDownloads ? DownloadOptions.DefaultFinishedServeTime : TimeSpan.Zero,
                IsServedElsewhere = id => _folders.TryGetById(id, out _),
            },
        };
    }

    /// <summary>
    /// Where uploads listen unless told otherwise: <c>[::]</c>, which the upload server opens
    /// dual-stack (IPv4 arrives there as IPv4-mapped addresses), or <c>0.0.0.0</c> where the
    /// machine has no IPv6.
    /// </summary>
    internal static IPAddress AnyAddress => System.Net.Sockets.Socket.OSSupportsIPv6 ? IPAddress.IPv6Any : IPAddress.Any;

    public TransferTracker Transfers { get; } = new();

    /// <summary>The downloads in progress whose verified chunks this peer serves to others.</summary>
    public HeldDownloads Held { get; } = new();

    /// <summary>The shared folder's index.</summary>
    public ShareIndex Share => _share;

    /// <summary>Everything the peer serves by name: the shared folder's files and, when shared, the downloads folder's.</summary>
    public SharedFolders SharedFolders => _folders;

    public string DownloadsFolder => _downloader.Folder;

    /// <summary>The port other peers connect to (the real one when port 0 was asked for).</summary>
    public ushort ListenPort => (ushort)_uploads.LocalEndPoint.Port;

    /// <summary>Number of files the directory holds for this peer, as of its last answer.</summary>
    public uint RegisteredFiles { get; private set; }

    public string ServerName => _directory?.ServerName ?? _options.Server.ToString();

    /// <summary>Whether the peer is registered with the directory right now (false while it reconnects).</summary>
    public bool DirectoryConnected => _directory?.IsConnected ?? false;

    /// <summary>Completes when the first scan of the shared folders, started by <see cref="StartAsync"/>, has ended.</summary>
    public Task InitialScan => _initialScan;

    /// <summary>How the first scan of the shared folder went, once <see cref="InitialScan"/> has completed (null before, or when it failed).</summary>
    public ShareScanStats? InitialScanStats { get; private set; }

    /// <summary>
    /// Starts serving uploads, starts scanning the shared folder in the background, and registers
    /// with the directory once the scan is done or <see cref="PeerOptions.InitialScanWait"/> has
    /// passed; files hashed after that are announced as they come.
    /// Fails with <see cref="DirectoryNotFoundException"/> when the shared folder does not exist
    /// and with <see cref="DirectoryException"/> when the directory cannot be reached.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        System.IO.Directory.CreateDirectory(_downloader.Folder);
        if (!System.IO.Directory.Exists(_share.Root))
        {
            throw new DirectoryNotFoundException($"shared folder {_share.Root} does not exist");
        }

        _uploads.Start();
        _initialScan = Task.Run(() => ScanInBackgroundAsync(_stopping.Token), CancellationToken.None);
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            await Task.WhenAny(_initialScan, Task.Delay(_options.InitialScanWait, wait.Token)).ConfigureAwait(false);
            await wait.CancelAsync().ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        // The first connection must succeed (scripts rely on a peer that exits when the directory
        // is unreachable); later drops are retried by the link, which registers again each time.
        var directory = new DirectoryLink(_options.Server, _logger)
        {
            Register = RegisterAllAsync,
            Heartbeat = new DirectoryHeartbeat(_options.PingInterval, _options.PeerTimeout),
        };
        try
        {
            await directory.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await directory.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _directory = directory;
        _holdAnnouncer = new HoldAnnouncer(Held, directory.HoldAsync, _logger);
        _holdAnnouncements = _holdAnnouncer.RunAsync(_stopping.Token);
        _logger.LogInformation("registered {Count} files with {Server} (listening on port {Port})", RegisteredFiles, directory.ServerName, ListenPort);
        _announcer = AnnounceInBackgroundAsync(directory, _stopping.Token);
        if (_options.WatchShare)
        {
            _watcher = Watch(_share);
            if (_downloadsShare is not null)
            {
                _downloadsWatcher = Watch(_downloadsShare);
            }
        }
    }

    /// <summary>
    /// After <see cref="StartAsync"/>: waits while the first scan looks about to end (it has
    /// walked the whole folder, and what is left to hash takes at most <paramref name="horizon"/>
    /// at the rate hashed so far), but no longer than <paramref name="limit"/>; once the scan is
    /// done, announces what it found after the REGISTER, so that <see cref="RegisteredFiles"/>
    /// counts the whole share. A share that is merely slow to hash (a busy machine) is so reported
    /// whole, and a big one at once. Returns true when the first scan is done.
    /// </summary>
    public async Task<bool> WaitForInitialScanAsync(TimeSpan horizon, TimeSpan limit, CancellationToken cancellationToken = default)
    {
        var directory = _directory ?? throw new InvalidOperationException("the peer has not started");
        var clock = Stopwatch.StartNew();
        while (!_initialScan.IsCompleted && clock.Elapsed < limit)
        {
            if (EstimatedScanRemaining() is not { } remaining || remaining > horizon)
            {
                break;
            }

            await Task.WhenAny(_initialScan, Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        if (!_initialScan.IsCompleted)
        {
            return false;
        }

        await AnnouncePendingAsync(directory, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<IReadOnlyList<PeerFiles>> SearchAsync(string query, CancellationToken cancellationToken = default)
    {
        var directory = _directory ?? throw new InvalidOperationException("the peer has not started");
        return await directory.SearchAsync(query, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Rescans the shared folders (after the first scan, when that is still running) and
    /// announces added, changed and removed files before it returns.
    /// </summary>
    public async Task<ShareChanges> RescanAsync(CancellationToken cancellationToken = default)
    {
        var directory = _directory ?? throw new InvalidOperationException("the peer has not started");
        await _initialScan.WaitAsync(cancellationToken).ConfigureAwait(false);
        var shareScan = _share.RescanAsync(_shareReports, cancellationToken);
        var downloadsScan = _downloadsShare?.RescanAsync(_downloadsReports, cancellationToken);
        await Task.WhenAll(downloadsScan is null ? [shareScan] : [shareScan, downloadsScan]).ConfigureAwait(false);
        var changes = _folders.Combine(await shareScan.ConfigureAwait(false), downloadsScan is null ? null : await downloadsScan.ConfigureAwait(false));
        try
        {
            await AnnouncePendingAsync(directory, cancellationToken).ConfigureAwait(false);
        }
        catch (DirectoryException ex) when (!directory.IsConnected)
        {
            // The registration after the reconnection carries the whole share, changes included.
            _logger.LogWarning("rescan: the changes are announced once the directory is back ({Reason})", ex.Message);
        }

        var stats = changes.Stats;
        _logger.LogInformation(
            "rescan: {Added} added or changed, {Removed} removed; {Count} files registered; {FromCache} from the hash cache, {Hashed} hashed ({Bytes} bytes) in {Seconds:0.00} s",
            changes.Added.Count,
            changes.Removed.Count,
            RegisteredFiles,
            stats.FromCache,
            stats.Hashed,
            stats.BytesHashed,
            stats.Elapsed.TotalSeconds);
        return changes;
    }

    /// <summary>Starts watching <paramref name="folder"/> (the shared folder, or the downloads folder) and rescanning it when it changes.</summary>
    private ShareWatcher Watch(ShareIndex folder)
    {
        var watcher = new ShareWatcher(folder.Root, token => RescanWatchedAsync(folder, token), _logger) { SafetyInterval = _options.SafetyRescanInterval };
        watcher.Start();

        // What changed between the first scan's walk and the watch is found by one rescan now.
        watcher.Notify();
        return watcher;
    }

    /// <summary>
    /// A watcher's rescan of <paramref name="folder"/>: like <see cref="RescanAsync"/>, but files
    /// still being written are left for later; returns when to rescan again for them (null when
    /// there are none).
    /// </summary>
    private async Task<TimeSpan?> RescanWatchedAsync(ShareIndex folder, CancellationToken cancellationToken)
    {
        var directory = _directory ?? throw new InvalidOperationException("the peer has not started");
        await _initialScan.WaitAsync(cancellationToken).ConfigureAwait(false);
        var changes = await folder.RescanAsync(ReportsFor(folder), _options.ShareSettleTime, cancellationToken).ConfigureAwait(false);
        try
        {
            await AnnouncePendingAsync(directory, cancellationToken).ConfigureAwait(false);
        }
        catch (DirectoryException ex)
        {
            // The announcer (or the registration after a reconnection) sends them later.
            _logger.LogDebug("share changes not announced yet: {Reason}", ex.Message);
        }

        if (changes.Added.Count > 0 || changes.Removed.Count > 0)
        {
            _logger.LogInformation("{Folder} changed: {Added} added or changed, {Removed} removed; {Count} files registered", FolderKind(folder), changes.Added.Count, changes.Removed.Count, RegisteredFiles);
        }

        if (folder.FirstSettlesUtc is not { } settles)
        {
            return null;
        }

        var wait = settles - DateTime.UtcNow + TimeSpan.FromMilliseconds(50);
        return wait < TimeSpan.FromMilliseconds(50) ? TimeSpan.FromMilliseconds(50) : wait;
    }

    void IShareObserver.FileAdded(SharedFile file)
    {
        lock (_pendingLock)
        {
            _pending[file.Name] = file.ToEntry();
        }

        _pendingSignal.Writer.TryWrite(true);
    }

    void IShareObserver.FilesRemoved(IReadOnlyList<string> names)
    {
        lock (_pendingLock)
        {
            foreach (var name in names)
            {
                _pending[name] = null;
            }
        }

        _pendingSignal.Writer.TryWrite(true);
    }

    /// <summary>Most downloads run at once (<see cref="PeerOptions.ParallelDownloads"/>); more wait their turn.</summary>
    public int ParallelDownloads => _options.ParallelDownloads;

    /// <summary>
    /// Starts downloading the file named <paramref name="name"/> (or with id <paramref name="id"/>)
    /// in the background. The returned transfer shows its progress; the task gives the result.
    /// </summary>
    public (Transfer Transfer, Task<DownloadResult> Completion) StartDownload(string name, ContentId? id = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var transfer = Transfers.Start(TransferDirection.Download, "-", name, 0);
        var task = Task.Run(() => DownloadAsync(name, id, transfer, _stopping.Token));
        _downloads[transfer] = task;
        return (transfer, task);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        // A directory lost from here on stays lost: the peer is going away.
        _directory?.StopReconnecting();

        if (_watcher is not null)
        {
            await _watcher.DisposeAsync().ConfigureAwait(false);
        }

        if (_downloadsWatcher is not null)
        {
            await _downloadsWatcher.DisposeAsync().ConfigureAwait(false);
        }

        // No new uploads from here on; the running ones may finish while the rest shuts down.
        Task drain = _uploads.DrainAsync(_options.DrainTimeout);
        try
        {
            await Task.WhenAll(_downloads.Values).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Each download has already reported its own failure.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        // Both end by themselves once _stopping is cancelled, and report their own failures.
        await _initialScan.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _announcer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _holdAnnouncements.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await drain.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _uploads.DisposeAsync().ConfigureAwait(false);
        if (_directory is not null)
        {
            var registered = _directory.IsConnected;
            await _directory.DisposeAsync().ConfigureAwait(false);
            if (registered)
            {
                _logger.LogInformation("unregistered from {Server}", _directory.ServerName);
            }
        }

        foreach (var held in Held.All)
        {
            Held.Remove(held);
            held.Dispose();
        }

        _share.Dispose();
        _downloadsShare?.Dispose();
        _cache?.Dispose();
        _announceLock.Dispose();
        _stopping.Dispose();
    }

    /// <summary>
    /// One download from the menu, from search to saved file. Whatever happens, the transfer ends
    /// completed, failed or cancelled: none stays "running" after its task has ended.
    /// </summary>
    private async Task<DownloadResult> DownloadAsync(string name, ContentId? id, Transfer transfer, CancellationToken cancellationToken)
    {
        var slot = false;
        try
        {
            await _downloadSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
            slot = true;
            var plan = DownloadPlan.Choose(await SearchAsync(name, cancellationToken).ConfigureAwait(false), name, id, out var error)
                ?? throw new DownloadException(error!);
            return await _downloader.DownloadAsync(plan, transfer, FindSourcesAsync, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            transfer.Cancel("cancelled");
            throw;
        }
        catch (Exception ex)
        {
            // The downloader has already failed it for the failures it knows; this is for the rest.
            _logger.LogError(ex, "download of {File} failed", name);
            transfer.Fail(ex.Message);
            throw;
        }
        finally
        {
            if (slot)
            {
                _downloadSlots.Release();
            }
        }

        async Task<IReadOnlyList<DownloadSource>> FindSourcesAsync(DownloadPlan content, CancellationToken token)
        {
            var directory = _directory ?? throw new InvalidOperationException("the peer has not started");
            return content.SourcesIn((await directory.LocateAsync(content.Id, token).ConfigureAwait(false)).Sources);
        }
    }

    /// <summary>The first scan of each shared folder, side by side.</summary>
    private Task ScanInBackgroundAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(ScanFolderInBackgroundAsync(_share, cancellationToken), _downloadsShare is null ? Task.CompletedTask : ScanFolderInBackgroundAsync(_downloadsShare, cancellationToken));

    /// <summary>The first scan of <paramref name="folder"/>: logs what it skipped and how it went; never throws.</summary>
    private async Task ScanFolderInBackgroundAsync(ShareIndex folder, CancellationToken cancellationToken)
    {
        try
        {
            var changes = await folder.RescanAsync(ReportsFor(folder), cancellationToken).ConfigureAwait(false);
            foreach (var skipped in changes.Skipped)
            {
                _logger.LogWarning("not sharing {File}", skipped);
            }

            var stats = changes.Stats;
            if (folder == _share)
            {
                InitialScanStats = stats;
            }

            _logger.LogInformation(
                "{Scan} done: {Files} files, {FromCache} from the hash cache, {Hashed} hashed ({Bytes} bytes) in {Seconds:0.00} s",
                folder == _share ? "share scan" : "downloads folder scan",
                stats.Files,
                stats.FromCache,
                stats.Hashed,
                stats.BytesHashed,
                stats.Elapsed.TotalSeconds);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The peer is stopping.
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("scan of the {Kind} {Folder} failed: {Reason}; {Count} files are shared, rescan to try again", FolderKind(folder), folder.Root, ex.Message, _folders.Count);
        }
    }

    private IShareObserver ReportsFor(ShareIndex folder) => folder == _share ? _shareReports : _downloadsReports!;

    private string FolderKind(ShareIndex folder) => folder == _share ? "shared folder" : "downloads folder";

    /// <summary>How long the first scans should still take (the longer of the two); null while that cannot be told, or when none runs.</summary>
    private TimeSpan? EstimatedScanRemaining()
    {
        var progress = new[] { _share.Progress, _downloadsShare?.Progress }.OfType<ShareScanProgress>().ToList();
        if (progress.Count == 0 || progress.Any(p => p.EstimatedRemaining is null))
        {
            return null;
        }

        return progress.Max(p => p.EstimatedRemaining!.Value);
    }

    /// <summary>Sends what the scans report, in batches at most every <see cref="AnnounceInterval"/>, until the peer stops or the directory is lost.</summary>
    private async Task AnnounceInBackgroundAsync(DirectoryLink directory, CancellationToken cancellationToken)
    {
        try
        {
            while (await _pendingSignal.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                _pendingSignal.Reader.TryRead(out _);
                try
                {
                    await AnnouncePendingAsync(directory, cancellationToken).ConfigureAwait(false);
                }
                catch (DirectoryException ex)
                {
                    // The link logs the lost connection and, once back, registers the whole
                    // share, so what was not announced here is not lost.
                    _logger.LogDebug("announcement not sent: {Reason}", ex.Message);
                }

                await Task.Delay(AnnounceInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The peer is stopping.
        }
    }

    /// <summary>Sends the pending REMOVEs and ADDs (one request each, at most).</summary>
    private async Task AnnouncePendingAsync(DirectoryLink directory, CancellationToken cancellationToken)
    {
        await _announceLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var (added, removed) = TakePending();
            if (removed.Count > 0)
            {
                RegisteredFiles = await directory.RemoveAsync(removed, cancellationToken).ConfigureAwait(false);
            }

            if (added.Count > 0)
            {
                try
                {
                    RegisteredFiles = await directory.AddAsync(added, cancellationToken).ConfigureAwait(false);
                }
                catch (DirectoryException ex) when (ex.Code == ErrorCode.Busy && directory.IsConnected)
                {
                    // Over one of the directory's quotas: asking again would be refused again. The
                    // files stay shared (a peer that knows their names can fetch them); the next
                    // registration (after a reconnection) offers the whole share again.
                    _logger.LogWarning("the directory did not list {Count} new or changed shared files: {Reason}", added.Count, ex.Message);
                }
            }

            if (added.Count > 0 || removed.Count > 0)
            {
                _logger.LogDebug("announced {Added} added and {Removed} removed files; {Count} files registered", added.Count, removed.Count, RegisteredFiles);
            }
        }
        finally
        {
            _announceLock.Release();
        }
    }

    private (List<FileEntry> Added, List<string> Removed) TakePending()
    {
        lock (_pendingLock)
        {
            var added = _pending.Values.OfType<FileEntry>().OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
            var removed = _pending.Where(p => p.Value is null).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
            _pending.Clear();
            return (added, removed);
        }
    }

    /// <summary>
    /// Registers the whole current share over a new directory connection (the first one and each
    /// reconnection). Pending announcements are dropped first, under the announce lock: the
    /// REGISTER carries the index as it is now, which includes them. A file published while this
    /// runs may be announced again by ADD, which is harmless (ADD replaces an entry of the same name).
    /// </summary>
    private async Task<uint> RegisterAllAsync(DirectoryConnection connection, CancellationToken cancellationToken)
    {
        await _announceLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_pendingLock)
            {
                _pending.Clear();
            }

            var files = _folders.Files.Select(f => f.ToEntry()).ToList();
            try
            {
                RegisteredFiles = await connection.RegisterAsync(ListenPort, files, cancellationToken).ConfigureAwait(false);
            }
            catch (DirectoryException ex) when (ex.Code == ErrorCode.Busy)
            {
                // The share is over one of the directory's quotas: be online with what it takes.
                RegisteredFiles = await RegisterWhatFitsAsync(connection, files, ex.Message, cancellationToken).ConfigureAwait(false);
            }

            // A new registration starts with no holdings: they are told again.
            _holdAnnouncer?.Registered();
            return RegisteredFiles;
        }
        finally
        {
            _announceLock.Release();
        }
    }

    /// <summary>
    /// Registers with no files, then adds as many as the directory takes: a frame's worth at a
    /// time, and a refused one halved until the part that fits is found (a few requests, not one
    /// per file); says how many were not listed, and why.
    /// </summary>
    private async Task<uint> RegisterWhatFitsAsync(DirectoryConnection connection, List<FileEntry> files, string refusal, CancellationToken cancellationToken)
    {
        var fit = new FitState(await connection.RegisterAsync(ListenPort, [], cancellationToken).ConfigureAwait(false), refusal);
        foreach (var batch in files.Chunk(DirectoryConnection.MaxEntriesPerFrame))
        {
            await AddWhatFitsAsync(connection, batch, fit, cancellationToken).ConfigureAwait(false);
        }

        _logger.LogWarning("the directory did not list {Unlisted} of the {Count} shared files: {Reason}", fit.Unlisted, files.Count, fit.Refusal);
        return fit.Count;
    }

    private static async Task AddWhatFitsAsync(DirectoryConnection connection, ArraySegment<FileEntry> files, FitState fit, CancellationToken cancellationToken)
    {
        if (fit.Full)
        {
            fit.Unlisted += files.Count;
            return;
        }

        try
        {
            fit.Count = await connection.AddAsync(files, cancellationToken).ConfigureAwait(false);
        }
        catch (DirectoryException ex) when (ex.Code == ErrorCode.Busy)
        {
            fit.Refusal = ex.Message;
            if (files.Count == 1)
            {
                // The quota is reached: what comes after would be refused too.
                fit.Full = true;
                fit.Unlisted++;
                return;
            }

            var half = files.Count / 2;
            await AddWhatFitsAsync(connection, files[..half], fit, cancellationToken).ConfigureAwait(false);
            await AddWhatFitsAsync(connection, files[half..], fit, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Where <see cref="RegisterWhatFitsAsync"/> has got to.</summary>
    private sealed class FitState(uint count, string refusal)
    {
        public uint Count { get; set; } = count;

        public string Refusal { get; set; } = refusal;

        public int Unlisted { get; set; }

        public bool Full { get; set; }
    }
}
