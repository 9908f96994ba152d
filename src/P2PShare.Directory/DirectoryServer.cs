using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Protocol;

namespace P2PShare.Directory;

/// <summary>
/// The directory server: accepts TCP connections and serves each with a
/// <see cref="DirectoryConnection"/> on its own task (async sockets only, no thread per
/// connection). This class owns the listener, the set of live connections with their limits
/// (per address and in all: a connection over a limit gets ERROR 4 and is closed) and the
/// heartbeat, one loop that PINGs quiet registered peers and drops silent ones; what happens on
/// a connection is <see cref="DirectoryConnection"/>'s business.
/// </summary>
public sealed class DirectoryServer : IAsyncDisposable
{
    // Pause after an unexpected accept failure (e.g. out of file descriptors) so the loop does not spin.
    private static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromMilliseconds(100);

    // TCP keepalive on accepted sockets: probe after 60 s of silence, every 10 s, give up after 6.
    private const int KeepAliveTimeSeconds = 60;
    private const int KeepAliveIntervalSeconds = 10;
    private const int KeepAliveRetryCount = 6;

    private readonly DirectoryServerOptions _options;
    private readonly IPeerRegistry _registry;
    private readonly ILogger<DirectoryServer> _logger;
    private readonly CancellationTokenSource _stopping = new();

    // Stops only the accept loop, so a stop can drain the requests in progress before _stopping ends the rest.
    private readonly CancellationTokenSource _stopAccepting = new();
    private readonly Lock _stateLock = new();

    // Live connections and the tasks serving them. A connection is added (with a null task)
    // before its task starts and removes itself when the task ends, so Stop sees every one.
    private readonly ConcurrentDictionary<DirectoryConnection, Task<bool>?> _connections = new();

    // Connections being refused (ERROR 4 and a graceful close), so Stop can cut them short.
    private readonly ConcurrentDictionary<DirectoryConnection, Task?> _refusing = new();

    // Admitted connections, in all and per address.
    private readonly ConnectionLimiter _limiter;

    // REGISTER and ADD are let into the registry one per address group and one per core.
    private readonly RegistrationGate _registrations = new(Environment.ProcessorCount);

    // Peers unregistered because the server stopped, for the last log line.
    private int _unregisteredByStop;

    private Socket? _listener;
    private IPEndPoint? _localEndPoint;
    private Task? _acceptLoop;
    private Task? _heartbeatLoop;
    private Task? _stopTask;

    public DirectoryServer(DirectoryServerOptions options, IPeerRegistry registry, ILogger<DirectoryServer> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(options.ListenEndPoint, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Backlog, nameof(options));
        _limiter = new ConnectionLimiter(options.MaxConnections, options.MaxConnectionsPerAddress);
        EnsureTimeout(options.UnregisteredIdleTimeout, nameof(options.UnregisteredIdleTimeout));
        EnsureTimeout(options.FrameTimeout, nameof(options.FrameTimeout));
        EnsurePositive(options.PingInterval, nameof(options.PingInterval));
        EnsurePositive(options.PeerTimeout, nameof(options.PeerTimeout));
        if (options.PeerTimeout <= options.PingInterval)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.PeerTimeout, "the peer timeout must be longer than the ping interval");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxConnectionsPerAddress, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxConnections, nameof(options));
        _options = options;
        _registry = registry;
        _logger = logger;
    }

    /// <summary>The bound end point, with the real port when the options said port 0. Valid after <see cref="Start"/>.</summary>
    public IPEndPoint LocalEndPoint => _localEndPoint ?? throw new InvalidOperationException("the directory server has not been started");

    /// <summary>Number of open client connections.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Binds and listens, then accepts connections in the background.</summary>
    /// <exception cref="SocketException">The address cannot be bound (for example, it is in use).</exception>
    public void Start()
    {
        lock (_stateLock)
        {
            ObjectDisposedException.ThrowIf(_stopTask is not null, this);
            if (_listener is not null)
            {
                throw new InvalidOperationException("the directory server is already started");
            }

            var endPoint = _options.ListenEndPoint;
            var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (endPoint.Address.Equals(IPAddress.IPv6Any))
                {
                    listener.DualMode = true;
                }

                listener.Bind(endPoint);
                listener.Listen(_options.Backlog);
            }
            catch
            {
                listener.Dispose();
                throw;
            }

            _listener = listener;
            _localEndPoint = (IPEndPoint)listener.LocalEndPoint!;
            var stopping = _stopping.Token;
            var accepting = _stopAccepting.Token;
            _acceptLoop = Task.Run(() => AcceptLoopAsync(listener, accepting, stopping));
            _heartbeatLoop = Task.Run(() => HeartbeatLoopAsync(stopping));
        }

        _logger.LogInformation("directory server listening on {EndPoint}", _localEndPoint);
    }

    /// <summary>
    /// Stops accepting, closes every connection (their peers are unregistered) and waits for their
    /// tasks. Safe to call more than once and without <see cref="Start"/>.
    /// </summary>
    public Task StopAsync()
    {
        lock (_stateLock)
        {
            // Run outside the lock: cancelling may run connection continuations inline.
            return _stopTask ??= Task.Run(StopCoreAsync);
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private static void EnsureTimeout(TimeSpan timeout, string name)
    {
        if (timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(name, timeout, "a timeout must be positive or infinite");
        }
    }

    private static void EnsurePositive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, "must be positive");
        }
    }

    private async Task StopCoreAsync()
    {
        Socket? listener;
        Task? acceptLoop;
        Task? heartbeatLoop;
        lock (_stateLock)
        {
            listener = _listener;
            acceptLoop = _acceptLoop;
            heartbeatLoop = _heartbeatLoop;
        }

        // Stop accepting, then give the requests being answered up to the drain timeout.
        await _stopAccepting.CancelAsync();
        listener?.Dispose();
        if (acceptLoop is not null)
        {
            await acceptLoop;
        }

        await DrainAsync();

        // Cancel before closing: connections then treat whatever the closing socket throws as "stopping".
        await _stopping.CancelAsync();

        if (heartbeatLoop is not null)
        {
            await heartbeatLoop;
        }

        // The accept loop has ended, so no connection is added any more and every entry has its task.
        var tasks = new List<Task<bool>>();
        foreach (var (connection, task) in _connections)
        {
            connection.Dispose();
            if (task is not null)
            {
                tasks.Add(task);
            }
        }

        var refusals = new List<Task>();
        foreach (var (connection, task) in _refusing)
        {
            connection.Dispose();
            if (task is not null)
            {
                refusals.Add(task);
            }
        }

        await Task.WhenAll(tasks);
        await Task.WhenAll(refusals);
        _stopping.Dispose();
        _stopAccepting.Dispose();
        if (listener is not null)
        {
            _logger.LogInformation("directory stopping: {Count} peers unregistered", Volatile.Read(ref _unregisteredByStop));
            _logger.LogInformation("directory server on {EndPoint} stopped", _localEndPoint);
        }
    }

    /// <summary>Waits until no connection is in the middle of answering a request, or the drain timeout.</summary>
    private async Task DrainAsync()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (_connections.Keys.Any(c => c.IsAnswering) && clock.Elapsed < _options.DrainTimeout)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }

        if (_connections.Keys.Any(c => c.IsAnswering))
        {
            _logger.LogWarning("drain timeout of {Seconds:0.#} s reached with requests still being answered; closing them", _options.DrainTimeout.TotalSeconds);
        }
    }

    /// <summary>
    /// The heartbeat: one loop for all connections, checking each registered one every tick (at
    /// most a second, less when the intervals are short) against the ping interval and the peer timeout.
    /// </summary>
    private async Task HeartbeatLoopAsync(CancellationToken stopping)
    {
        var slack = TimeSpan.FromTicks(Math.Min(_options.PingInterval.Ticks, (_options.PeerTimeout - _options.PingInterval).Ticks) / 4);
        var tick = TimeSpan.FromTicks(Math.Clamp(slack.Ticks, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(1).Ticks));
        using var timer = new PeriodicTimer(tick);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                // Enumerating the dictionary itself takes no snapshot (no list of 50,000 each tick).
                foreach (var (connection, _) in _connections)
                {
                    try
                    {
                        connection.CheckHeartbeat(_options.PingInterval, _options.PeerTimeout, stopping);
                    }
#pragma warning disable CA1031 // One connection's failure must not stop the heartbeat of all the others.
                    catch (Exception ex)
#pragma warning restore CA1031
                    {
                        _logger.LogError(ex, "{Remote}: heartbeat check failed", connection.Remote);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken accepting, CancellationToken stopping)
    {
        while (!accepting.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(accepting);
            }
            catch (Exception) when (accepting.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // Whatever went wrong (a client that reset before we took it, a resource limit), keep accepting.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _logger.LogWarning("accepting a connection failed: {Error}", ex.Message);
                await DelayAsync(AcceptRetryDelay, accepting);
                continue;
            }

            Serve(socket, stopping);
        }
    }

    /// <summary>Starts the task serving a newly accepted socket.</summary>
    private void Serve(Socket socket, CancellationToken stopping)
    {
        DirectoryConnection connection;
        try
        {
            // Requests and answers are small; don't let Nagle hold them back.
            socket.NoDelay = true;
            connection = new DirectoryConnection(socket, _registry, _registrations, _options, _logger);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The client was gone before we could look at it.
            _logger.LogDebug("dropping a connection that closed at once: {Error}", ex.Message);
            socket.Dispose();
            return;
        }

        var refusal = Admit(connection.RemoteAddress);
        if (refusal is not null)
        {
            Refuse(connection, refusal);
            return;
        }

        EnableKeepAlive(socket, connection.Remote);
        _logger.LogDebug("{Remote}: connected", connection.Remote);
        _connections.TryAdd(connection, null);
        var task = Task.Run(() => RunConnectionAsync(connection, stopping), CancellationToken.None);
        // Fails harmlessly when the task already ended and removed the connection.
        _connections.TryUpdate(connection, task, null);
    }

    /// <summary>Counts a new connection from <paramref name="address"/>, or returns why it is refused.</summary>
    private string? Admit(IPAddress address)
    {
        if (_limiter.TryAdmit(address, out var exceeded, out var open))
        {
            return null;
        }

        return exceeded == ConnectionLimit.Total
            ? $"busy: the directory already has {open} connections, its limit; try again later"
            : $"busy: {open} connections from {address} already, the limit per address; close one or try again later";
    }

    private void Release(IPAddress address) => _limiter.Release(address);

    /// <summary>Answers ERROR 4 and closes gracefully in the background, without holding up the accept loop.</summary>
    private void Refuse(DirectoryConnection connection, string text)
    {
        _refusing.TryAdd(connection, null);
        var task = Task.Run(
            async () =>
            {
                try
                {
                    await connection.RefuseAsync(text);
                }
                finally
                {
                    _refusing.TryRemove(connection, out _);
                    connection.Dispose();
                }
            },
            CancellationToken.None);
        _refusing.TryUpdate(connection, task, null);
    }

    /// <summary>TCP keepalive, so that a peer whose machine vanished is noticed even between heartbeats.</summary>
    private void EnableKeepAlive(Socket socket, string remote)
    {
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, KeepAliveTimeSeconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, KeepAliveIntervalSeconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, KeepAliveRetryCount);
        }
        catch (Exception ex) when (ex is SocketException or PlatformNotSupportedException or ObjectDisposedException)
        {
            _logger.LogDebug("{Remote}: TCP keepalive not enabled: {Error}", remote, ex.Message);
        }
    }

    private async Task<bool> RunConnectionAsync(DirectoryConnection connection, CancellationToken stopping)
    {
        try
        {
            var unregistered = await connection.RunAsync(stopping);
            if (unregistered && stopping.IsCancellationRequested)
            {
                Interlocked.Increment(ref _unregisteredByStop);
            }

            return unregistered;
        }
#pragma warning disable CA1031 // RunAsync handles everything; this is the last line of defence for the process.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogError(ex, "{Remote}: connection task failed", connection.Remote);
            return false;
        }
        finally
        {
            _connections.TryRemove(connection, out _);
            connection.Dispose();
            Release(connection.RemoteAddress);
        }
    }

    private static async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping; the loop condition ends the loop.
        }
    }
}
