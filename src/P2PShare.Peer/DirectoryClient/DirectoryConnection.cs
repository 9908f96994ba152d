using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// A connection to the directory server. Requests go out one at a time and the server answers
/// in order, so each request simply waits for the next answer; a background read loop delivers
/// answers and replies to the server's PINGs. Registering keeps this connection open: the peer
/// is online while it lasts, and disposing it unregisters the peer.
/// </summary>
/// <remarks>
/// A silent server is detected by a heartbeat: after <see cref="DirectoryHeartbeat.PingInterval"/>
/// without a word from the server the connection sends PING itself, and after
/// <see cref="DirectoryHeartbeat.Timeout"/> of silence it is closed. TCP keepalive is on as well.
/// </remarks>
public sealed class DirectoryConnection : IAsyncDisposable
{
    /// <summary>File entries sent per REGISTER/ADD frame, well under the 16 MiB payload limit.</summary>
    internal const int MaxEntriesPerFrame = 8_000;

    private readonly FrameConnection _connection;
    private readonly SemaphoreSlim _requestLock = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _readLoop;
    private readonly Task _heartbeat;
    private TaskCompletionSource<Message>? _pending;
    private Exception? _closeReason;
    private Exception? _heartbeatFailure;
    private long _lastHeard = Stopwatch.GetTimestamp();

    private DirectoryConnection(Socket socket, string serverName, DirectoryHeartbeat heartbeat)
    {
        _connection = new FrameConnection(socket, FrameLimits.DirectoryClient);
        ServerName = serverName;
        _readLoop = ReadLoopAsync();
        _heartbeat = HeartbeatAsync(heartbeat);
    }

    /// <summary>The server as <c>address:port</c>.</summary>
    public string ServerName { get; }

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Completes when the connection has ended, for whatever reason.</summary>
    public Task Completion => _readLoop;

    /// <summary>Why the connection ended, once it has.</summary>
    public Exception? CloseReason => _closeReason;

    public static Task<DirectoryConnection> ConnectAsync(HostPort server, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        ConnectAsync(server, timeout, DirectoryHeartbeat.Default, cancellationToken);

    public static async Task<DirectoryConnection> ConnectAsync(HostPort server, TimeSpan timeout, DirectoryHeartbeat heartbeat, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(heartbeat);
        Socket socket;
        try
        {
            socket = await server.ConnectAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException)
        {
            throw new DirectoryException($"directory server {server} is unreachable: {ex.Message}", null, ex);
        }

        EnableKeepAlive(socket);
        var remote = (IPEndPoint)socket.RemoteEndPoint!;
        return new DirectoryConnection(socket, HostPort.FormatEndPoint(remote.Address, remote.Port), heartbeat);
    }

    /// <summary>
    /// Registers this peer's listening port and files; returns the number of files the server
    /// now holds for it. Long lists go as one REGISTER followed by ADDs.
    /// </summary>
    public async Task<uint> RegisterAsync(ushort listenPort, IReadOnlyList<FileEntry> files, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        var first = files.Take(MaxEntriesPerFrame).ToList();
        var count = ExpectOk(await RequestAsync(new RegisterMessage(listenPort, first), cancellationToken).ConfigureAwait(false), "REGISTER");
        if (files.Count > first.Count)
        {
            count = await AddAsync(files.Skip(first.Count).ToList(), cancellationToken).ConfigureAwait(false);
        }

        return count;
    }

    public async Task<uint> AddAsync(IReadOnlyList<FileEntry> files, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        uint count = 0;
        foreach (var batch in files.Chunk(MaxEntriesPerFrame))
        {
            count = ExpectOk(await RequestAsync(new AddMessage(batch), cancellationToken).ConfigureAwait(false), "ADD");
        }

        return count;
    }

    public async Task<uint> RemoveAsync(IReadOnlyList<string> names, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        uint count = 0;
        foreach (var batch in names.Chunk(MaxEntriesPerFrame))
        {
            count = ExpectOk(await RequestAsync(new RemoveMessage(batch), cancellationToken).ConfigureAwait(false), "REMOVE");
        }

        return count;
    }

    /// <summary>Searches the directory. Over a registered connection the peer's own files are left out.</summary>
    public async Task<IReadOnlyList<PeerFiles>> SearchAsync(string query, CancellationToken cancellationToken = default)
    {
        var answer = await RequestAsync(new SearchMessage(query), cancellationToken).ConfigureAwait(false);
        return answer switch
        {
            ResultsMessage results => results.Peers,
            ErrorMessage error => throw new DirectoryException($"directory refused the search: {error.Text}", error.Code),
            _ => throw new DirectoryException($"directory answered SEARCH with {answer.Name}"),
        };
    }

    /// <summary>
    /// Asks which online peers hold content <paramref name="id"/>, wholly or in part (LOCATE):
    /// whole holders first, then partial ones by chunks held, with the name the first whole holder
    /// shares it under. Over a registered connection the peer itself is left out.
    /// </summary>
    public async Task<SourcesMessage> LocateAsync(ContentId id, CancellationToken cancellationToken = default)
    {
        var answer = await RequestAsync(new LocateMessage(id), cancellationToken).ConfigureAwait(false);
        return answer switch
        {
            SourcesMessage sources when sources.Id == id => sources,
            SourcesMessage sources => throw new DirectoryException($"directory answered LOCATE of {id} with the SOURCES of {sources.Id}"),
            ErrorMessage error => throw new DirectoryException($"directory refused LOCATE: {error.Text}", error.Code),
            _ => throw new DirectoryException($"directory answered LOCATE with {answer.Name}"),
        };
    }

    /// <summary>
    /// Announces what this peer holds in part (HOLD; <c>Held</c> 0 withdraws a content), in
    /// frames of at most 1024 items; returns the number of contents it now holds in part. Only
    /// after REGISTER on this connection, and again after every REGISTER (a REGISTER drops them).
    /// </summary>
    public async Task<uint> HoldAsync(IReadOnlyList<HoldItem> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        uint count = 0;
        foreach (var batch in items.Chunk(Limits.MaxHoldItems))
        {
            count = ExpectOk(await RequestAsync(new HoldMessage(batch), cancellationToken).ConfigureAwait(false), "HOLD");
        }

        return count;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_closing.IsCancellationRequested)
        {
            await _closing.CancelAsync().ConfigureAwait(false);
        }

        _connection.Dispose();
        await _readLoop.ConfigureAwait(false);
        await _heartbeat.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        // The request lock is not disposed: a request may still be leaving it (a SemaphoreSlim
        // whose wait handle was never asked for holds nothing to free), and one that comes
        // later finds the connection closed.
        _closing.Dispose();
    }

    /// <summary>TCP keepalive notices a dead network path even while neither side has anything to say.</summary>
    private static void EnableKeepAlive(Socket socket)
    {
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 30);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 10);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
        }
        catch (Exception ex) when (ex is SocketException or PlatformNotSupportedException)
        {
            // Keepalive is a help, not a requirement: the heartbeat detects a dead server anyway.
        }
    }

    private static uint ExpectOk(Message answer, string request) => answer switch
    {
        OkMessage ok => ok.FileCount,
        ErrorMessage error => throw new DirectoryException($"directory refused {request}: {error.Text}", error.Code),
        _ => throw new DirectoryException($"directory answered {request} with {answer.Name}"),
    };

    private async Task<Message> RequestAsync(Message request, CancellationToken cancellationToken)
    {
        await _requestLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            var pending = new TaskCompletionSource<Message>(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _pending, pending);
            ThrowIfClosed();
            try
            {
                await _connection.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or IOException or TimeoutException or ObjectDisposedException)
            {
                throw Unavailable(ex);
            }

            try
            {
                return await pending.Task.WaitAsync(RequestTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The answer may still come; the connection can no longer pair answers with
                // requests, so it is closed.
                _connection.Dispose();
                throw new DirectoryException($"directory server {ServerName} did not answer {request.Name} within {RequestTimeout.TotalSeconds:0} s");
            }
        }
        finally
        {
            Volatile.Write(ref _pending, null);
            _requestLock.Release();
        }
    }

    private void ThrowIfClosed()
    {
        if (_readLoop.IsCompleted)
        {
            throw Unavailable(_closeReason);
        }
    }

    private DirectoryException Unavailable(Exception? reason) =>
        new($"connection to directory server {ServerName} lost: {reason?.Message ?? "closed"}", null, reason);

    private async Task ReadLoopAsync()
    {
        await Task.Yield();
        try
        {
            while (true)
            {
                var message = await _connection.ReadMessageAsync(Timeout.InfiniteTimeSpan, _closing.Token).ConfigureAwait(false);
                Interlocked.Exchange(ref _lastHeard, Stopwatch.GetTimestamp());
                switch (message)
                {
                    case null:
                        throw new EndOfStreamException("the server closed the connection");
                    case PingMessage:
                        await _connection.SendAsync(PongMessage.Instance, _closing.Token).ConfigureAwait(false);
                        break;
                    case PongMessage:
                        break;
                    case ResultsMessage or SourcesMessage or OkMessage or ErrorMessage:
                        var pending = Volatile.Read(ref _pending);
                        if (pending is null)
                        {
                            if (message is ErrorMessage unsolicited)
                            {
                                // The server explains why it is about to close the connection.
                                throw new DirectoryException($"directory server closed the connection: {unsolicited.Text}", unsolicited.Code);
                            }

                            throw new ProtocolException(ErrorCode.BadRequest, $"unexpected {message.Name} with no request pending");
                        }

                        pending.TrySetResult(message);
                        break;
                    default:
                        throw new ProtocolException(ErrorCode.BadRequest, $"unexpected {message.Name} from the directory server");
                }
            }
        }
        catch (ProtocolException ex)
        {
            _closeReason = ex;
            await _connection.TrySendErrorAsync(ex.Code, ex.Message).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Whatever ended the connection is recorded and handed to waiting requests.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _closeReason = Volatile.Read(ref _heartbeatFailure)
                ?? (_closing.IsCancellationRequested ? new OperationCanceledException("connection closed by this peer") : ex);
        }
        finally
        {
            _connection.Dispose();
            Volatile.Read(ref _pending)?.TrySetException(Unavailable(_closeReason));
        }
    }

    /// <summary>
    /// PINGs a server that has been silent for the ping interval (again each interval) and closes
    /// the connection when it has been silent for the timeout.
    /// </summary>
    private async Task HeartbeatAsync(DirectoryHeartbeat heartbeat)
    {
        await Task.Yield();
        var step = Math.Min(heartbeat.PingInterval.Ticks, heartbeat.Timeout.Ticks) / 4;
        var tick = TimeSpan.FromTicks(Math.Clamp(step, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(1).Ticks));
        using var timer = new PeriodicTimer(tick);
        // Closing disposes the timer, which ends the wait with false. A cancelled wait would end it
        // with an OperationCanceledException whose stack trace the runtime renders as text, with
        // file and line lookups: ~10 ms at the end of every `get`, for an exception nobody reads.
        using var stop = _closing.Token.UnsafeRegister(static state => ((PeriodicTimer)state!).Dispose(), timer);
        var lastPing = Stopwatch.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync().ConfigureAwait(false) && !_readLoop.IsCompleted)
            {
                var silence = Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastHeard));
                if (silence >= heartbeat.Timeout)
                {
                    Volatile.Write(ref _heartbeatFailure, new TimeoutException($"no word from the directory server for {silence.TotalSeconds:0.#} s"));
                    _connection.Dispose();
                    return;
                }

                if (silence >= heartbeat.PingInterval && Stopwatch.GetElapsedTime(lastPing) >= heartbeat.PingInterval)
                {
                    lastPing = Stopwatch.GetTimestamp();
                    await _connection.SendAsync(PingMessage.Instance, _closing.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or TimeoutException or ObjectDisposedException)
        {
            // The connection is closing; the read loop records why.
        }
    }
}
