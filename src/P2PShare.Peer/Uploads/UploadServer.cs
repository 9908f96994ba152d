using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// Accepts peer connections and serves GET and HASHES requests from the shared folders. Each
/// connection is one task; a connection may carry several requests one after another. Files and
/// ranges go out from the handle that was opened and checked, in sendfile-backed slices of at
/// most 1 MiB (<see cref="SliceSender"/>), the DATA frame with the first, rate-limited ones at
/// the pace of the shared token bucket; a downloader that takes no slice within
/// <see cref="StallTimeout"/> is disconnected, whatever the file's size.
/// </summary>
/// <remarks>
/// Connections beyond <see cref="MaxConnections"/> in all, or beyond
/// <see cref="MaxConnectionsPerAddress"/> from one address, are answered with ERROR 4 (busy) and
/// closed. <see cref="DrainAsync"/> stops accepting and lets the open connections finish.
/// </remarks>
public sealed class UploadServer : IAsyncDisposable
{
    private readonly SharedFolders _folders;
    private readonly TransferTracker _transfers;
    private readonly TokenBucket? _limit;
    private readonly ILogger _logger;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _acceptStopping = new();
    private readonly ConcurrentDictionary<UploadConnection, Task> _connections = new();
    private readonly ConcurrentDictionary<Task, bool> _refusals = new();

    // Open connections per remote address, and in all.
    private ConnectionLimiter? _limiter;
    private Task _acceptLoop = Task.CompletedTask;
    private volatile bool _draining;
    private IPEndPoint? _localEndPoint;

    /// <summary>Serves the files of one shared folder.</summary>
    public UploadServer(IPEndPoint listenEndPoint, ShareIndex share, TransferTracker transfers, long? uploadLimitBytesPerSecond, ILogger logger)
        : this(listenEndPoint, new SharedFolders(share), transfers, uploadLimitBytesPerSecond, logger)
    {
    }

    /// <summary>Serves the files of the shared folder and, when shared, of the downloads folder.</summary>
    public UploadServer(IPEndPoint listenEndPoint, SharedFolders folders, TransferTracker transfers, long? uploadLimitBytesPerSecond, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(listenEndPoint);
        ArgumentNullException.ThrowIfNull(folders);
        _folders = folders;
        _transfers = transfers;
        _limit = uploadLimitBytesPerSecond is > 0 ? new TokenBucket(uploadLimitBytesPerSecond.Value) : null;
        _logger = logger;
        _listener = new Socket(listenEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (listenEndPoint.AddressFamily == AddressFamily.InterNetworkV6)
        {
            _listener.DualMode = true;
        }

        ListenEndPoint = listenEndPoint;
    }

    public IPEndPoint ListenEndPoint { get; }

    /// <summary>The bound endpoint; its port is the real one when port 0 was asked for.</summary>
    public IPEndPoint LocalEndPoint => _localEndPoint ?? (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Downloads in progress whose verified chunks are served besides the shared files (by content id); null serves none.</summary>
    public HeldDownloads? Held { get; init; }

    /// <summary>How long a connection may sit between two GETs.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The default <see cref="StallTimeout"/> (<c>p2pshare peer --stall-timeout</c>).</summary>
    public static readonly TimeSpan DefaultStallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a downloader may take to accept one slice of an answer (at most 1 MiB) before it is
    /// considered gone and its connection closed; also the time a request frame has to complete.
    /// </summary>
    public TimeSpan StallTimeout { get; init; } = DefaultStallTimeout;

    /// <summary>Most upload connections open at once; more are refused with ERROR 4 (busy).</summary>
    public int MaxConnections { get; init; } = 1000;

    /// <summary>Most upload connections open at once from one address; more are refused with ERROR 4 (busy).</summary>
    public int MaxConnectionsPerAddress { get; init; } = 256;

    /// <summary>During <see cref="DrainAsync"/>, a connection waiting this long for its next request is closed.</summary>
    public TimeSpan DrainIdleTimeout { get; init; } = TimeSpan.FromSeconds(1.5);

    /// <summary>Upload connections open now.</summary>
    public int OpenConnections => _connections.Count;

    internal bool Draining => _draining;

    internal SharedFolders Folders => _folders;

    internal TransferTracker Transfers => _transfers;

    internal TokenBucket? Limit => _limit;

    internal ILogger Logger => _logger;

    public void Start()
    {
        _limiter = new ConnectionLimiter(MaxConnections, MaxConnectionsPerAddress);
        _listener.Bind(ListenEndPoint);
        _listener.Listen(512);
        _localEndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>
    /// Stops accepting connections and waits, for at most <paramref name="timeout"/>, until every
    /// open connection has closed. Meanwhile the open connections are served as usual (a
    /// downloader fetching chunk by chunk completes its file), except that one which waits longer
    /// than <see cref="DrainIdleTimeout"/> for its next request is closed. Returns true when all
    /// connections closed in time; <see cref="DisposeAsync"/> closes the rest.
    /// </summary>
    public async Task<bool> DrainAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        _draining = true;
        await StopAcceptingAsync().ConfigureAwait(false);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (!_connections.IsEmpty)
        {
            _logger.LogInformation("waiting up to {Seconds:0.#} s for {Count} upload connections to finish", timeout.TotalSeconds, _connections.Count);
        }

        while (!_connections.IsEmpty && clock.Elapsed < timeout)
        {
            foreach (var connection in _connections.Keys)
            {
                if (connection.IdleFor > DrainIdleTimeout)
                {
                    connection.Abort();
                }
            }

            var remaining = timeout - clock.Elapsed;
            var pause = remaining < TimeSpan.FromMilliseconds(100) ? remaining : TimeSpan.FromMilliseconds(100);
            if (pause > TimeSpan.Zero)
            {
                await Task.WhenAny(Task.WhenAll(_connections.Values), Task.Delay(pause, cancellationToken)).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        var drained = _connections.IsEmpty;
        if (!drained)
        {
            _logger.LogWarning("closing {Count} upload connections still open after {Seconds:0.#} s", _connections.Count, timeout.TotalSeconds);
        }

        return drained;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAcceptingAsync().ConfigureAwait(false);
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        foreach (var connection in _connections.Keys)
        {
            connection.Abort();
        }

        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        await Task.WhenAll(_refusals.Keys).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
        _acceptStopping.Dispose();
    }

    private async Task StopAcceptingAsync()
    {
        if (!_acceptStopping.IsCancellationRequested)
        {
            await _acceptStopping.CancelAsync().ConfigureAwait(false);
        }

        await _acceptLoop.ConfigureAwait(false);
        _listener.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_acceptStopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_acceptStopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                // EMFILE and friends: back off a little rather than spin.
                _logger.LogWarning("upload accept failed: {Message}", ex.Message);
                await Task.Delay(100).ConfigureAwait(false);
                continue;
            }

            socket.NoDelay = true;
            var address = (socket.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }

            var refusal = TryCount(address);
            if (refusal is not null)
            {
                _logger.LogDebug("refused an upload connection from {Address}: {Reason}", address, refusal);
                var refused = RefuseAsync(socket, refusal);
                _refusals[refused] = true;
                _ = refused.ContinueWith(t => _refusals.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                continue;
            }

            // In the table before it runs: a connection that ends at once removes itself from
            // the table, which it could not do before it was in it.
            var connection = new UploadConnection(this, socket);
            var run = new Task<Task>(() => RunConnectionAsync(connection, address));
            _connections[connection] = run.Unwrap();
            run.Start(TaskScheduler.Default);
        }
    }

    /// <summary>Counts a new connection from <paramref name="address"/>; returns why it is refused instead, when it is over a cap.</summary>
    private string? TryCount(IPAddress address)
    {
        if (_limiter!.TryAdmit(address, out var exceeded, out var open))
        {
            return null;
        }

        return exceeded == ConnectionLimit.Total
            ? $"this peer is busy: {open} upload connections are open, the most it serves"
            : $"this peer is busy: {open} upload connections from {AddressGroup.Describe(AddressGroup.Of(address))} are open, the most it serves to one address";
    }

    private void Uncount(IPAddress address) => _limiter?.Release(address);

    private static async Task RefuseAsync(Socket socket, string reason)
    {
        await Task.Yield();
        using var connection = new FrameConnection(socket, FrameLimits.UploadServer);
        await connection.SendErrorAndCloseAsync(ErrorCode.Busy, reason).ConfigureAwait(false);
    }

    private async Task RunConnectionAsync(UploadConnection connection, IPAddress address)
    {
        try
        {
            await connection.RunAsync(_stopping.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // One connection's fault must never stop the server.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogError(ex, "upload connection from {Peer} failed", connection.PeerName);
        }
        finally
        {
            connection.Dispose();
            _connections.TryRemove(connection, out _);
            Uncount(address);
        }
    }
}
