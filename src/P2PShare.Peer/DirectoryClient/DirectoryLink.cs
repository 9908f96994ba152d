using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// The peer's lasting link to the directory: the current <see cref="DirectoryConnection"/>, and
/// when it drops (server restart, network cut, heartbeat timeout), attempts to connect again
/// after growing delays (<see cref="ReconnectBackoff"/>) until one succeeds. Every new connection
/// is handed to <see cref="Register"/> before anything else is sent on it. While the link is down,
/// requests fail at once with a <see cref="DirectoryException"/> whose message starts with
/// <see cref="UnreachableMessage"/>.
/// </summary>
public sealed class DirectoryLink : IAsyncDisposable
{
    /// <summary>The message of requests made while the directory is out of reach.</summary>
    public const string UnreachableMessage = "directory unreachable, retrying";

    private readonly HostPort _server;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _lock = new();
    private DirectoryConnection? _current;
    private Task _supervisor = Task.CompletedTask;
    private string? _serverName;
    private string _downReason = "not connected yet";
    private int _connections;

    public DirectoryLink(HostPort server, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(logger);
        _server = server;
        _logger = logger;
    }

    /// <summary>
    /// Registers the peer over a new connection and returns the number of files the server holds
    /// for it; called for the first connection and for every reconnection.
    /// </summary>
    public required Func<DirectoryConnection, CancellationToken, Task<uint>> Register { get; init; }

    public DirectoryHeartbeat Heartbeat { get; init; } = DirectoryHeartbeat.Default;

    public ReconnectBackoff Backoff { get; init; } = new();

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Waits between attempts (tests may replace it).</summary>
    public Func<TimeSpan, CancellationToken, Task> Delay { get; init; } = Task.Delay;

    /// <summary>The server as <c>address:port</c> once connected, else as given.</summary>
    public string ServerName => Volatile.Read(ref _serverName) ?? _server.ToString();

    /// <summary>Whether a registered connection is up.</summary>
    public bool IsConnected => Volatile.Read(ref _current) is { Completion.IsCompleted: false };

    /// <summary>How many connections have been registered so far (1 after the start, one more per reconnection).</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>
    /// Connects and registers for the first time; fails with <see cref="DirectoryException"/>
    /// when the server cannot be reached (no retries: the caller decides). Later drops reconnect.
    /// </summary>
    public async Task<uint> StartAsync(CancellationToken cancellationToken = default)
    {
        var connection = await DirectoryConnection.ConnectAsync(_server, ConnectTimeout, Heartbeat, cancellationToken).ConfigureAwait(false);
        uint count;
        try
        {
            count = await Register(connection, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        if (!TryPublish(connection))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new ObjectDisposedException(nameof(DirectoryLink));
        }

        _supervisor = SuperviseAsync(connection, _closing.Token);
        return count;
    }

    public Task<IReadOnlyList<PeerFiles>> SearchAsync(string query, CancellationToken cancellationToken = default) =>
        UseAsync(connection => connection.SearchAsync(query, cancellationToken));

    public Task<uint> AddAsync(IReadOnlyList<FileEntry> files, CancellationToken cancellationToken = default) =>
        UseAsync(connection => connection.AddAsync(files, cancellationToken));

    public Task<uint> RemoveAsync(IReadOnlyList<string> names, CancellationToken cancellationToken = default) =>
        UseAsync(connection => connection.RemoveAsync(names, cancellationToken));

    /// <summary>LOCATE over the link; fails fast while it is down, like a search.</summary>
    public Task<SourcesMessage> LocateAsync(ContentId id, CancellationToken cancellationToken = default) =>
        UseAsync(connection => connection.LocateAsync(id, cancellationToken));

    /// <summary>
    /// HOLD over the link. A re-registration drops what was held: the <see cref="Register"/>
    /// callback re-sends it with <see cref="DirectoryConnection.HoldAsync"/> on the new connection.
    /// </summary>
    public Task<uint> HoldAsync(IReadOnlyList<HoldItem> items, CancellationToken cancellationToken = default) =>
        UseAsync(connection => connection.HoldAsync(items, cancellationToken));

    /// <summary>
    /// Gives up reconnecting (the peer is stopping): a drop from now on is final. The current
    /// connection, if any, stays up until <see cref="DisposeAsync"/>.
    /// </summary>
    public void StopReconnecting()
    {
        lock (_lock)
        {
            if (!_closing.IsCancellationRequested)
            {
                _closing.Cancel();
            }
        }
    }

    /// <summary>Closes the connection (which unregisters the peer); no attempt to reconnect follows.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_closing.IsCancellationRequested)
        {
            await _closing.CancelAsync().ConfigureAwait(false);
        }

        DirectoryConnection? current;
        lock (_lock)
        {
            current = _current;
            _current = null;
        }

        if (current is not null)
        {
            await current.DisposeAsync().ConfigureAwait(false);
        }

        await _supervisor.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _closing.Dispose();
    }

    private static DirectoryException Unreachable(string reason, Exception? inner = null) =>
        new($"{UnreachableMessage}: {reason}", null, inner);

    private async Task<T> UseAsync<T>(Func<DirectoryConnection, Task<T>> request)
    {
        var connection = Volatile.Read(ref _current);
        if (connection is null || connection.Completion.IsCompleted)
        {
            throw Unreachable(connection?.CloseReason?.Message ?? Volatile.Read(ref _downReason));
        }

        try
        {
            return await request(connection).ConfigureAwait(false);
        }
        catch (DirectoryException ex) when (ex.Code is null)
        {
            // Not a refusal by the server: the connection failed, and the link is about to retry.
            throw Unreachable(ex.Message, ex);
        }
    }

    /// <summary>Makes <paramref name="connection"/> the current one, unless the link is closing.</summary>
    private bool TryPublish(DirectoryConnection connection)
    {
        lock (_lock)
        {
            if (_closing.IsCancellationRequested)
            {
                return false;
            }

            _current = connection;
            Volatile.Write(ref _serverName, connection.ServerName);
            Interlocked.Increment(ref _connections);
            return true;
        }
    }

    private async Task SuperviseAsync(DirectoryConnection connection, CancellationToken cancellationToken)
    {
        while (true)
        {
            await connection.Completion.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            var reason = connection.CloseReason?.Message ?? "closed";
            Volatile.Write(ref _downReason, reason);
            lock (_lock)
            {
                if (_current == connection)
                {
                    _current = null;
                }
            }

            await connection.DisposeAsync().ConfigureAwait(false);
            var next = await ReconnectAsync(reason, cancellationToken).ConfigureAwait(false);
            if (next is null)
            {
                return;
            }

            connection = next;
        }
    }

    /// <summary>Tries until a connection is up and registered; null when the link is closing.</summary>
    private async Task<DirectoryConnection?> ReconnectAsync(string reason, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var delay = Backoff.Delay(attempt);
            _logger.LogWarning("lost the directory {Server}: {Reason}; retrying in {Seconds:0.#} s", ServerName, reason, delay.TotalSeconds);
            try
            {
                await Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }

            DirectoryConnection? connection = null;
            try
            {
                connection = await DirectoryConnection.ConnectAsync(_server, ConnectTimeout, Heartbeat, cancellationToken).ConfigureAwait(false);
                var count = await Register(connection, cancellationToken).ConfigureAwait(false);
                if (!TryPublish(connection))
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    return null;
                }

                _logger.LogInformation("reconnected to {Server}: registered {Count} files", connection.ServerName, count);
                return connection;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                if (connection is not null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }

                return null;
            }
#pragma warning disable CA1031 // Whatever failed, the link tries again later; the reason is logged.
            catch (Exception ex) when (ex is DirectoryException or ProtocolException or IOException or SocketException or TimeoutException or ObjectDisposedException or OperationCanceledException)
#pragma warning restore CA1031
            {
                reason = ex.Message;
                Volatile.Write(ref _downReason, reason);
                if (connection is not null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }
}
