using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace P2PShare.Directory;

/// <summary>
/// The directory server: accepts TCP connections and serves each with a
/// <see cref="DirectoryConnection"/> on its own task (async sockets only, no thread per
/// connection). This class only owns the listener and the set of live connections; what happens
/// on a connection is <see cref="DirectoryConnection"/>'s business.
/// </summary>
public sealed class DirectoryServer : IAsyncDisposable
{
    // Pause after an unexpected accept failure (e.g. out of file descriptors) so the loop does not spin.
    private static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromMilliseconds(100);

    private readonly DirectoryServerOptions _options;
    private readonly IPeerRegistry _registry;
    private readonly ILogger<DirectoryServer> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _stateLock = new();

    // Live connections and the tasks serving them. A connection is added (with a null task)
    // before its task starts and removes itself when the task ends, so Stop sees every one.
    private readonly ConcurrentDictionary<DirectoryConnection, Task?> _connections = new();
    private Socket? _listener;
    private IPEndPoint? _localEndPoint;
    private Task? _acceptLoop;
    private Task? _stopTask;

    public DirectoryServer(DirectoryServerOptions options, IPeerRegistry registry, ILogger<DirectoryServer> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(options.ListenEndPoint, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Backlog, nameof(options));
        EnsureTimeout(options.UnregisteredIdleTimeout, nameof(options.UnregisteredIdleTimeout));
        EnsureTimeout(options.FrameTimeout, nameof(options.FrameTimeout));
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
            _acceptLoop = Task.Run(() => AcceptLoopAsync(listener, stopping));
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

    private async Task StopCoreAsync()
    {
        Socket? listener;
        Task? acceptLoop;
        lock (_stateLock)
        {
            listener = _listener;
            acceptLoop = _acceptLoop;
        }

        // Cancel first: connections then treat whatever the closing socket throws as "stopping".
        await _stopping.CancelAsync();
        listener?.Dispose();
        if (acceptLoop is not null)
        {
            await acceptLoop;
        }

        // The accept loop has ended, so no connection is added any more and every entry has its task.
        var tasks = new List<Task>();
        foreach (var (connection, task) in _connections)
        {
            connection.Dispose();
            if (task is not null)
            {
                tasks.Add(task);
            }
        }

        await Task.WhenAll(tasks);
        _stopping.Dispose();
        if (listener is not null)
        {
            _logger.LogInformation("directory server on {EndPoint} stopped", _localEndPoint);
        }
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(stopping);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // Whatever went wrong (a client that reset before we took it, a resource limit), keep accepting.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _logger.LogWarning("accepting a connection failed: {Error}", ex.Message);
                await DelayAsync(AcceptRetryDelay, stopping);
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
            connection = new DirectoryConnection(socket, _registry, _options, _logger);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The client was gone before we could look at it.
            _logger.LogDebug("dropping a connection that closed at once: {Error}", ex.Message);
            socket.Dispose();
            return;
        }

        _logger.LogDebug("{Remote}: connected", connection.Remote);
        _connections.TryAdd(connection, null);
        var task = Task.Run(() => RunConnectionAsync(connection, stopping), CancellationToken.None);
        // Fails harmlessly when the task already ended and removed the connection.
        _connections.TryUpdate(connection, task, null);
    }

    private async Task RunConnectionAsync(DirectoryConnection connection, CancellationToken stopping)
    {
        try
        {
            await connection.RunAsync(stopping);
        }
#pragma warning disable CA1031 // RunAsync handles everything; this is the last line of defence for the process.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogError(ex, "{Remote}: connection task failed", connection.Remote);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
            connection.Dispose();
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
