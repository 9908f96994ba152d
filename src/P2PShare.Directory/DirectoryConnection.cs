using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Protocol;

namespace P2PShare.Directory;

/// <summary>
/// Serves one client connection of the directory server: reads frames, answers them, and ties
/// the peer's registration to the life of the connection. Everything that can go wrong with one
/// client ends here, in <see cref="RunAsync"/>, which never throws, so one bad client cannot
/// disturb the others.
/// </summary>
internal sealed class DirectoryConnection : IDisposable
{
    private readonly FrameConnection _frames;
    private readonly IPeerRegistry _registry;
    private readonly DirectoryServerOptions _options;
    private readonly ILogger _logger;
    private readonly IPAddress _remoteAddress;
    private readonly string _remote;
    private RegistrationToken? _registration;
    private long _lastHeardTicks = Environment.TickCount64;

    /// <summary>Takes ownership of <paramref name="socket"/>.</summary>
    public DirectoryConnection(Socket socket, IPeerRegistry registry, DirectoryServerOptions options, ILogger logger)
    {
        _frames = new FrameConnection(socket, Channel.Directory) { FrameTimeout = options.FrameTimeout };
        var remote = _frames.RemoteEndPoint ?? throw new InvalidOperationException("the accepted socket has no remote end point");
        // The peer's identity is the address its packets come from, never one it claims.
        _remoteAddress = MessageCodec.NormalizeAddress(remote.Address);
        _remote = new IPEndPoint(_remoteAddress, remote.Port).ToString();
        _registry = registry;
        _options = options;
        _logger = logger;
    }

    /// <summary>The client's address and source port, for logs.</summary>
    public string Remote => _remote;

    /// <summary>The registration this connection holds, if it sent REGISTER.</summary>
    public RegistrationToken? Registration => Volatile.Read(ref _registration);

    /// <summary>
    /// Time since the last complete frame arrived. Nothing uses it yet; the heartbeat will PING
    /// registered peers that have been quiet and drop those that stay quiet.
    /// </summary>
    public TimeSpan SinceLastHeard => TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref _lastHeardTicks));

    /// <summary>
    /// Serves the connection until it closes, fails or <paramref name="cancellationToken"/> is
    /// cancelled (the server is stopping), then forgets this connection's registration.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var (reason, level) = ("closed", LogLevel.Debug);
        ErrorMessage? error = null;
        try
        {
            reason = await ServeAsync(cancellationToken);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping cancels reads and closes the socket, which surfaces as any of several exceptions.
            reason = "server stopping";
        }
        catch (ProtocolException ex)
        {
            // The client is told exactly what was wrong (the codec's messages are written for it), then closed.
            error = new ErrorMessage(ex.Code, ex.Message);
            (reason, level) = ($"protocol error: {ex.Message}", LogLevel.Warning);
        }
        catch (TimeoutException ex)
        {
            error = new ErrorMessage(ErrorCode.BadRequest, ex.Message);
            reason = $"timeout: {ex.Message}";
        }
        catch (EndOfStreamException ex)
        {
            reason = $"closed mid-frame: {ex.Message}";
        }
        catch (SocketException ex)
        {
            reason = $"connection error: {ex.SocketErrorCode}";
        }
        catch (IOException ex)
        {
            reason = $"connection error: {ex.Message}";
        }
#pragma warning disable CA1031 // The point of this method: nothing from one connection may reach the server.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogError(ex, "{Remote}: unexpected error", _remote);
            error = new ErrorMessage(ErrorCode.Internal, "internal server error");
            (reason, level) = ($"internal error: {ex.Message}", LogLevel.Error);
        }

        // Unregister first: the peer is offline from the moment its connection failed, not only
        // once the ERROR has been delivered.
        Close(reason, level);
        if (error is not null)
        {
            await _frames.SendErrorAndCloseAsync(error.Code, error.Text);
        }
    }

    /// <summary>Closes the socket at once; a pending read then fails and <see cref="RunAsync"/> finishes.</summary>
    public void Dispose() => _frames.Dispose();

    /// <summary>The message loop; returns why it ended when the connection ends normally.</summary>
    private async Task<string> ServeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            // Only connections that have not registered are dropped for idling; a registered
            // connection is the peer being online.
            var idleTimeout = Registration is null ? _options.UnregisteredIdleTimeout : Timeout.InfiniteTimeSpan;
            var message = await _frames.ReadMessageAsync(idleTimeout, cancellationToken);
            if (message is null)
            {
                return "closed";
            }

            Interlocked.Exchange(ref _lastHeardTicks, Environment.TickCount64);
            var stop = await HandleAsync(message, cancellationToken);
            if (stop is not null)
            {
                return stop;
            }
        }
    }

    /// <summary>Answers one message; returns a reason to close, or null to go on.</summary>
    /// <exception cref="ProtocolException">The message makes no sense here; answer ERROR and close.</exception>
    private async ValueTask<string?> HandleAsync(Message message, CancellationToken cancellationToken)
    {
        switch (message)
        {
            case RegisterMessage register:
                await _frames.SendAsync(new OkMessage((uint)Register(register)), cancellationToken);
                break;
            case AddMessage add:
                var added = _registry.Add(RequireRegistration(add), add.Files) ?? throw Replaced(add);
                await _frames.SendAsync(new OkMessage((uint)added), cancellationToken);
                break;
            case RemoveMessage remove:
                var left = _registry.Remove(RequireRegistration(remove), remove.Names) ?? throw Replaced(remove);
                await _frames.SendAsync(new OkMessage((uint)left), cancellationToken);
                break;
            case SearchMessage search:
                // Over a REGISTER connection the peer's own files are left out: it has them already.
                var peers = _registry.Search(search.Query, Registration?.Peer, Limits.MaxSearchResults);
                await _frames.SendAsync(new ResultsMessage(peers), cancellationToken);
                break;
            case PingMessage:
                await _frames.SendAsync(PongMessage.Instance, cancellationToken);
                break;
            case PongMessage:
                // Only refreshes the last-heard time (done by the caller).
                break;
            case ErrorMessage error:
                // The client gave up on us; answering an ERROR with an ERROR would help no one.
                return $"client sent {error}";
            default:
                throw new ProtocolException(ErrorCode.BadRequest, $"unexpected {message.Name} from a client");
        }

        return null;
    }

    /// <summary>Registers (or re-registers) this connection's peer; returns the number of files registered.</summary>
    private int Register(RegisterMessage register)
    {
        var peer = new PeerKey(_remoteAddress, register.ListenPort);
        var previous = Registration;
        if (previous is not null && previous.Peer != peer && _registry.Unregister(previous))
        {
            // Same connection, new port: the old registration is this connection's, so it goes.
            _logger.LogInformation("peer {Peer} unregistered (replaced by {NewPeer} on the same connection)", previous.Peer, peer);
        }

        Volatile.Write(ref _registration, _registry.Register(peer, register.Files));
        // The registry keeps the last entry of a repeated name, so the count is of distinct names.
        var count = register.Files.Select(f => f.Name).Distinct(StringComparer.Ordinal).Count();
        _logger.LogInformation("peer {Peer} registered {Count} files", peer, count);
        return count;
    }

    private RegistrationToken RequireRegistration(Message message) =>
        Registration ?? throw new ProtocolException(ErrorCode.BadRequest, $"{message.Name} on a connection that has not registered: REGISTER first");

    private ProtocolException Replaced(Message message) =>
        new(ErrorCode.BadRequest, $"{message.Name} refused: the registration of {Registration?.Peer} on this connection was replaced by a newer REGISTER");

    /// <summary>Forgets this connection's registration (unless a newer one replaced it) and logs why the connection ended.</summary>
    private void Close(string reason, LogLevel level)
    {
        var registration = Registration;
        if (registration is null)
        {
            _logger.Log(level, "{Remote}: connection closed ({Reason})", _remote, reason);
            return;
        }

        try
        {
            var registeredLevel = level > LogLevel.Information ? level : LogLevel.Information;
            if (_registry.Unregister(registration))
            {
                _logger.Log(registeredLevel, "peer {Peer} unregistered ({Reason})", registration.Peer, reason);
            }
            else
            {
                _logger.Log(registeredLevel, "peer {Peer} unregistered (replaced); its old connection {Remote} closed ({Reason})", registration.Peer, _remote, reason);
            }
        }
#pragma warning disable CA1031 // A failing registry must not take the server down; it is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogError(ex, "peer {Peer}: unregistering failed ({Reason})", registration.Peer, reason);
        }
    }
}
