using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace P2PShare.Peer;

/// <summary>
/// Keeps a peer's share up to date while it runs: watches the shared folder (recursively) and,
/// once the changes have quietened for <see cref="Debounce"/>, runs one rescan, which diffs the
/// folder against the index and announces what was added, changed and removed. A rescan that
/// left out files still being written asks for another one when they will have settled. The
/// watcher's own partial downloads (<c>*.part</c> and their resume records) are ignored; a lost
/// event (the watcher's buffer overflowed) just means a full rescan, and one also runs every
/// <see cref="SafetyInterval"/> in case an event was missed altogether.
/// </summary>
public sealed class ShareWatcher : IAsyncDisposable
{
    private readonly string _root;
    private readonly Func<CancellationToken, Task<TimeSpan?>> _rescan;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Channel<bool> _signal = System.Threading.Channels.Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private FileSystemWatcher? _watcher;
    private Task _loop = Task.CompletedTask;
    private long _lastEvent;
    private int _rescans;

    /// <param name="root">The shared folder.</param>
    /// <param name="rescan">
    /// Rescans the folder and announces the changes; returns when to rescan again because some
    /// files were still being written, or null.
    /// </param>
    /// <param name="logger">Where failures of the watcher and of rescans go.</param>
    public ShareWatcher(string root, Func<CancellationToken, Task<TimeSpan?>> rescan, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentNullException.ThrowIfNull(rescan);
        ArgumentNullException.ThrowIfNull(logger);
        _root = root;
        _rescan = rescan;
        _logger = logger;
    }

    /// <summary>How long the folder must stay quiet after a change before the rescan runs.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Longest a rescan waits for the folder to quieten once a change was seen (a folder that never stops changing is still rescanned).</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A full rescan runs this often even when no change was seen.</summary>
    public TimeSpan SafetyInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Rescans run so far.</summary>
    public int Rescans => Volatile.Read(ref _rescans);

    /// <summary>
    /// Starts watching (when the system lets it: without a watcher, the periodic rescan still
    /// runs) and the loop that rescans.
    /// </summary>
    public void Start()
    {
        try
        {
            var watcher = new FileSystemWatcher(_root)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
                InternalBufferSize = 64 * 1024,
            };
            watcher.Created += OnChanged;
            watcher.Changed += OnChanged;
            watcher.Deleted += OnChanged;
            watcher.Renamed += OnRenamed;
            watcher.Error += OnError;
            watcher.EnableRaisingEvents = true;
            _watcher = watcher;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            _logger.LogWarning("cannot watch the shared folder {Folder} for changes ({Reason}); it is rescanned every {Seconds:0} s", _root, ex.Message, SafetyInterval.TotalSeconds);
        }

        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
    }

    /// <summary>Asks for a rescan once the folder has been quiet for <see cref="Debounce"/> (what a change event does).</summary>
    public void Notify()
    {
        Volatile.Write(ref _lastEvent, Stopwatch.GetTimestamp());
        _signal.Writer.TryWrite(true);
    }

    public async ValueTask DisposeAsync()
    {
        if (_watcher is { } watcher)
        {
            watcher.EnableRaisingEvents = false;
            watcher.Dispose();
        }

        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    /// <summary>Whether a change to <paramref name="path"/> may change the share (a partial download's files never do).</summary>
    internal static bool Matters(string? path) =>
        path is null
        || !(path.EndsWith(ShareIndex.PartialSuffix, StringComparison.Ordinal)
            || path.EndsWith(ShareIndex.PartialSuffix + ".state", StringComparison.Ordinal)
            || path.EndsWith(ShareIndex.PartialSuffix + ".state.tmp", StringComparison.Ordinal));

    private void OnChanged(object sender, FileSystemEventArgs e)
    {
        if (Matters(e.FullPath))
        {
            Notify();
        }
    }

    private void OnRenamed(object sender, RenamedEventArgs e)
    {
        // A finished download (NAME.part renamed to NAME) appears in the share.
        if (Matters(e.OldFullPath) || Matters(e.FullPath))
        {
            Notify();
        }
    }

    private void OnError(object sender, ErrorEventArgs e)
    {
        var error = e.GetException();
        if (error is InternalBufferOverflowException)
        {
            _logger.LogDebug("too many changes in the shared folder at once; rescanning all of it");
        }
        else
        {
            _logger.LogWarning("watching the shared folder failed: {Reason}; rescanning it", error.Message);
        }

        Notify();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var nextSafety = Stopwatch.GetTimestamp();
        TimeSpan? followUp = null;
        var followUpFrom = 0L;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                // Wait for a change, the follow-up for files being written, or the safety rescan.
                var wait = SafetyInterval - Stopwatch.GetElapsedTime(nextSafety);
                if (followUp is { } after && after - Stopwatch.GetElapsedTime(followUpFrom) < wait)
                {
                    wait = after - Stopwatch.GetElapsedTime(followUpFrom);
                }

                var changed = wait <= TimeSpan.Zero
                    ? _signal.Reader.TryRead(out _)
                    : await WaitForSignalAsync(wait, cancellationToken).ConfigureAwait(false);
                if (changed)
                {
                    await QuietenAsync(cancellationToken).ConfigureAwait(false);
                }

                _signal.Reader.TryRead(out _);
                nextSafety = Stopwatch.GetTimestamp();
                followUpFrom = nextSafety;
                followUp = await RescanAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Waits for a change event for at most <paramref name="wait"/>; returns whether one came.</summary>
    private async Task<bool> WaitForSignalAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        try
        {
            return await _signal.Reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false) && _signal.Reader.TryRead(out _);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Waits until no event has come for <see cref="Debounce"/>, or <see cref="MaxDelay"/> has passed.</summary>
    private async Task QuietenAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var quiet = Stopwatch.GetElapsedTime(Volatile.Read(ref _lastEvent));
            var left = Debounce - quiet;
            var maxLeft = MaxDelay - clock.Elapsed;
            if (left <= TimeSpan.Zero || maxLeft <= TimeSpan.Zero)
            {
                return;
            }

            await Task.Delay(left < maxLeft ? left : maxLeft, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<TimeSpan?> RescanAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _rescans);
        try
        {
            return await _rescan(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A failed rescan is retried on the next change or safety rescan; the watcher keeps going.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogWarning("rescan of the shared folder {Folder} failed: {Reason}", _root, ex.Message);
            return null;
        }
    }
}
