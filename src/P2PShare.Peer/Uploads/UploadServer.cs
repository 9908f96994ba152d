using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace P2PShare.Peer;

/// <summary>
/// Accepts peer connections and serves GET requests from the share index. Each connection is
/// one task; a connection may carry several GETs one after another. Whole-file requests go out
/// with <see cref="Socket.SendFileAsync(string, ReadOnlyMemory{byte}, ReadOnlyMemory{byte}, TransmitFileOptions, CancellationToken)"/>
/// (the kernel copies file to socket); ranges and rate-limited uploads go through one pooled buffer.
/// </summary>
public sealed class UploadServer : IAsyncDisposable
{
    private readonly ShareIndex _share;
    private readonly TransferTracker _transfers;
    private readonly TokenBucket? _limit;
    private readonly ILogger _logger;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<UploadConnection, Task> _connections = new();
    private Task _acceptLoop = Task.CompletedTask;

    public UploadServer(IPEndPoint listenEndPoint, ShareIndex share, TransferTracker transfers, long? uploadLimitBytesPerSecond, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(listenEndPoint);
        _share = share;
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
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>How long a connection may sit between two GETs.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a send may make no progress before the downloader is considered gone.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    internal ShareIndex Share => _share;

    internal TransferTracker Transfers => _transfers;

    internal TokenBucket? Limit => _limit;

    internal ILogger Logger => _logger;

    public void Start()
    {
        _listener.Bind(ListenEndPoint);
        _listener.Listen(512);
        _acceptLoop = AcceptLoopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        foreach (var connection in _connections.Keys)
        {
            connection.Abort();
        }

        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
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
            var connection = new UploadConnection(this, socket);
            var task = RunConnectionAsync(connection);
            _connections[connection] = task;
        }
    }

    private async Task RunConnectionAsync(UploadConnection connection)
    {
        await Task.Yield();
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
        }
    }
}
