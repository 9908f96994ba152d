using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// A running peer: its share index, its upload server, its registration with the directory, and
/// its downloads, which run in the background while it keeps serving others.
/// </summary>
public sealed class PeerNode : IAsyncDisposable
{
    private readonly PeerOptions _options;
    private readonly ILogger _logger;
    private readonly ShareIndex _share;
    private readonly UploadServer _uploads;
    private readonly Downloader _downloader;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Transfer, Task<DownloadResult>> _downloads = new();
    private readonly SemaphoreSlim _announceLock = new(1, 1);
    private DirectoryConnection? _directory;

    public PeerNode(PeerOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _options = options;
        _logger = loggerFactory.CreateLogger("p2pshare.peer");
        _share = new ShareIndex(options.ShareFolder);
        _uploads = new UploadServer(new IPEndPoint(options.ListenAddress, options.Port), _share, Transfers, options.UploadLimit, loggerFactory.CreateLogger("p2pshare.upload"));
        _downloader = new Downloader(options.DownloadsFolder, loggerFactory.CreateLogger("p2pshare.download"));
    }

    public TransferTracker Transfers { get; } = new();

    public ShareIndex Share => _share;

    public string DownloadsFolder => _downloader.Folder;

    /// <summary>The port other peers connect to (the real one when port 0 was asked for).</summary>
    public ushort ListenPort => (ushort)_uploads.LocalEndPoint.Port;

    /// <summary>Number of files the directory holds for this peer, as of its last answer.</summary>
    public uint RegisteredFiles { get; private set; }

    public string ServerName => _directory?.ServerName ?? _options.Server.ToString();

    /// <summary>Completes when the connection to the directory is lost.</summary>
    public Task DirectoryLost => _directory?.Completion ?? Task.CompletedTask;

    /// <summary>
    /// Indexes the shared folder, starts serving uploads, and registers with the directory.
    /// Fails with <see cref="DirectoryNotFoundException"/> when the shared folder does not exist
    /// and with <see cref="DirectoryException"/> when the directory cannot be reached.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        System.IO.Directory.CreateDirectory(_downloader.Folder);
        var changes = await _share.RescanAsync(cancellationToken).ConfigureAwait(false);
        foreach (var skipped in changes.Skipped)
        {
            _logger.LogWarning("not sharing {File}", skipped);
        }

        _uploads.Start();
        _directory = await DirectoryConnection.ConnectAsync(_options.Server, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        RegisteredFiles = await _directory.RegisterAsync(ListenPort, [.. _share.Files.Select(f => f.ToEntry())], cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("registered {Count} files with {Server} (listening on port {Port})", RegisteredFiles, _directory.ServerName, ListenPort);
        _ = WatchDirectoryAsync(_directory);
    }

    public async Task<IReadOnlyList<PeerFiles>> SearchAsync(string query, CancellationToken cancellationToken = default)
    {
        var directory = _directory ?? throw new InvalidOperationException("the peer has not started");
        return await directory.SearchAsync(query, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Rescans the shared folder and announces added, changed and removed files.</summary>
    public async Task<ShareChanges> RescanAsync(CancellationToken cancellationToken = default)
    {
        var directory = _directory ?? throw new InvalidOperationException("the peer has not started");
        await _announceLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var changes = await _share.RescanAsync(cancellationToken).ConfigureAwait(false);
            if (changes.Removed.Count > 0)
            {
                RegisteredFiles = await directory.RemoveAsync(changes.Removed, cancellationToken).ConfigureAwait(false);
            }

            if (changes.Added.Count > 0)
            {
                RegisteredFiles = await directory.AddAsync(changes.Added, cancellationToken).ConfigureAwait(false);
            }

            _logger.LogInformation("rescan: {Added} added or changed, {Removed} removed; {Count} files registered", changes.Added.Count, changes.Removed.Count, RegisteredFiles);
            return changes;
        }
        finally
        {
            _announceLock.Release();
        }
    }

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

        try
        {
            await Task.WhenAll(_downloads.Values).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Each download has already reported its own failure.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        await _uploads.DisposeAsync().ConfigureAwait(false);
        if (_directory is not null)
        {
            await _directory.DisposeAsync().ConfigureAwait(false);
            _logger.LogInformation("unregistered from {Server}", _directory.ServerName);
        }

        _share.Dispose();
        _announceLock.Dispose();
        _stopping.Dispose();
    }

    private async Task<DownloadResult> DownloadAsync(string name, ContentId? id, Transfer transfer, CancellationToken cancellationToken)
    {
        DownloadPlan plan;
        try
        {
            var results = await SearchAsync(name, cancellationToken).ConfigureAwait(false);
            plan = DownloadPlan.Choose(results, name, id, out var error) ?? throw new DownloadException(error!);
        }
        catch (Exception ex) when (ex is DownloadException or DirectoryException)
        {
            transfer.Fail(ex.Message);
            throw;
        }
        catch (OperationCanceledException)
        {
            transfer.Cancel("cancelled");
            throw;
        }

        transfer.TotalBytes = (long)plan.Size;
        return await _downloader.DownloadAsync(plan, transfer, cancellationToken).ConfigureAwait(false);
    }

    private async Task WatchDirectoryAsync(DirectoryConnection directory)
    {
        await directory.Completion.ConfigureAwait(false);
        if (!_stopping.IsCancellationRequested)
        {
            _logger.LogWarning("lost the connection to the directory server {Server}: {Reason}; still serving uploads", directory.ServerName, directory.CloseReason?.Message ?? "closed");
        }
    }
}
