using System.Buffers;
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
    private readonly IPAddress _group;
    private readonly RegistrationGate _gate;
    private readonly string _remote;
    // Requests of one connection are answered one at a time, so one builder serves them all.
    private readonly ResultsFrameBuilder _results = new();
    private readonly RefusalLog _refusals;
    // What the registry found for the LOCATE being answered (one at a time, like the searches).
    private readonly List<LocatedSource> _located = [];
    private RegistrationToken? _registration;
    private volatile bool _answering;
    private long _lastHeardTicks = Environment.TickCount64;
    // When the heartbeat last sent a PING; only the server's heartbeat loop touches it.
    private long _lastPingTicks = long.MinValue / 2;
    // Set once when the heartbeat gives up on the peer: why the connection was closed.
    private string? _expiredReason;

    /// <summary>Takes ownership of <paramref name="socket"/>.</summary>
    public DirectoryConnection(Socket socket, IPeerRegistry registry, RegistrationGate gate, DirectoryServerOptions options, FrameLimits frameLimits, FrameMemoryBudget frameBudget, ILogger logger)
    {
        _frames = new FrameConnection(socket, frameLimits, frameBudget) { FrameTimeout = options.FrameTimeout };
        var remote = _frames.RemoteEndPoint ?? throw new InvalidOperationException("the accepted socket has no remote end point");
        // The peer's identity is the address its packets come from, never one it claims.
        _remoteAddress = MessageCodec.NormalizeAddress(remote.Address);
        _group = AddressGroup.Of(_remoteAddress);
        _gate = gate;
        _remote = new IPEndPoint(_remoteAddress, remote.Port).ToString();
        _registry = registry;
        _options = options;
        _logger = logger;
        _refusals = new RefusalLog(logger, _remote);
    }

    /// <summary>The client's address and source port, for logs.</summary>
    public string Remote => _remote;

    /// <summary>The client's address (IPv4-mapped addresses as IPv4), what the per-address limit counts.</summary>
    public IPAddress RemoteAddress => _remoteAddress;

    /// <summary>True while a request that has arrived is being answered (a stop drains these).</summary>
    public bool IsAnswering => _answering;

    /// <summary>The registration this connection holds, if it sent REGISTER.</summary>
    public RegistrationToken? Registration => Volatile.Read(ref _registration);

    /// <summary>
    /// Time since the last complete frame arrived (any frame, PONG included): what the heartbeat
    /// looks at to PING registered peers that have been quiet and drop those that stay quiet.
    /// </summary>
    public TimeSpan SinceLastHeard => TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref _lastHeardTicks));

    /// <summary>
    /// One heartbeat check, called by the server's heartbeat loop (one loop for all connections,
    /// never concurrently for one connection). A registered connection silent for
    /// <paramref name="peerTimeout"/> is closed and its peer unregistered; one silent for
    /// <paramref name="pingInterval"/> is sent a PING, and another every interval while it stays
    /// silent. Connections that have not registered are left to their idle timeout.
    /// </summary>
    public void CheckHeartbeat(TimeSpan pingInterval, TimeSpan peerTimeout, CancellationToken cancellationToken)
    {
        if (Registration is null || Volatile.Read(ref _expiredReason) is not null)
        {
            return;
        }

        var now = Environment.TickCount64;
        var silentMs = now - Interlocked.Read(ref _lastHeardTicks);
        if (silentMs >= (long)peerTimeout.TotalMilliseconds)
        {
            Expire($"timeout: nothing for {peerTimeout.TotalSeconds:0.###} s");
            return;
        }

        if (silentMs >= (long)pingInterval.TotalMilliseconds && now - _lastPingTicks >= (long)pingInterval.TotalMilliseconds)
        {
            _lastPingTicks = now;
            // Not awaited: the loop goes on to the next connection. SendAsync is serialized with
            // the answers this connection sends, so a PING never lands inside another frame.
            _ = PingAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Refuses the connection (the server is over a connection limit): ERROR 4 with
    /// <paramref name="text"/>, then a graceful close. Never throws.
    /// </summary>
    public async Task RefuseAsync(string text)
    {
        _logger.LogDebug("{Remote}: refused ({Reason})", _remote, text);
        await _frames.SendErrorAndCloseAsync(ErrorCode.Busy, text);
    }

    /// <summary>
    /// Serves the connection until it closes, fails or <paramref name="cancellationToken"/> is
    /// cancelled (the server is stopping), then forgets this connection's registration. Returns
    /// whether it unregistered a peer.
    /// </summary>
    public async Task<bool> RunAsync(CancellationToken cancellationToken)
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
        catch (Exception) when (Volatile.Read(ref _expiredReason) is not null)
        {
            // The heartbeat closed the socket under the read; the reason is set below.
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

        if (Volatile.Read(ref _expiredReason) is { } expired)
        {
            // Whatever the read saw, the heartbeat closed the connection; there is no one to tell.
            (reason, level, error) = (expired, LogLevel.Information, null);
        }

        // Unregister first: the peer is offline from the moment its connection failed, not only
        // once the ERROR has been delivered.
        var unregistered = Close(reason, level);
        if (error is not null)
        {
            await _frames.SendErrorAndCloseAsync(error.Code, error.Text);
        }

        return unregistered;
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
            var frame = await _frames.ReadFrameAsync(idleTimeout, cancellationToken);
            if (frame.IsEndOfStream)
            {
                return "closed";
            }

            Interlocked.Exchange(ref _lastHeardTicks, Environment.TickCount64);
            string? stop = null;
            _answering = true;
            try
            {
                // SEARCH, REGISTER, ADD, REMOVE, LOCATE, HOLD and PONG are answered from a view of
                // the frame (no object per message or per file); the rest are decoded into messages (the frame stays
                // valid until the next read).
                try
                {
                    switch (frame.Type)
                    {
                        case MessageType.SearchOrGet:
                            await SearchAsync(frame.Payload, cancellationToken);
                            break;
                        case MessageType.Register:
                            await _frames.SendAsync(new OkMessage((uint)await RegisterAsync(frame.Payload, cancellationToken)), cancellationToken);
                            break;
                        case MessageType.Add:
                            await _frames.SendAsync(new OkMessage((uint)await AddAsync(frame.Payload, cancellationToken)), cancellationToken);
                            break;
                        case MessageType.Remove:
                            await _frames.SendAsync(new OkMessage((uint)Remove(frame.Payload.Span)), cancellationToken);
                            break;
                        case MessageType.Locate:
                            await LocateAsync(LocateView.Parse(frame.Payload.Span).Id, cancellationToken);
                            break;
                        case MessageType.Hold:
                            await _frames.SendAsync(new OkMessage((uint)Hold(frame.Payload.Span)), cancellationToken);
                            break;
                        case MessageType.Pong:
                            EmptyPayload.Validate(frame.Type, frame.Payload.Span); // it only refreshes the last-heard time
                            break;
                        default:
                            stop = await HandleAsync(MessageCodec.Decode((byte)frame.Type, frame.Payload.Span, Channel.Directory), cancellationToken);
                            break;
                    }
                }
                catch (RequestRefusedException refused)
                {
                    // A limit, not a broken client: it is told which, and the connection goes on.
                    _refusals.Log(frame.Type, refused);
                    await _frames.SendAsync(new ErrorMessage(refused.Code, refused.Message), cancellationToken);
                }
            }
            finally
            {
                _answering = false;
            }

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

    /// <summary>A REGISTER, once the <see cref="RegistrationGate"/> lets it in.</summary>
    private async ValueTask<int> RegisterAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        using (await _gate.EnterAsync(_group, cancellationToken))
        {
            return Register(RegisterView.Parse(payload.Span));
        }
    }

    /// <summary>An ADD, once the <see cref="RegistrationGate"/> lets it in.</summary>
    private async ValueTask<int> AddAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var registration = RequireRegistration("ADD");
        using (await _gate.EnterAsync(_group, cancellationToken))
        {
            return _registry.Add(registration, AddView.Parse(payload.Span).Files) ?? throw Replaced("ADD");
        }
    }

    /// <summary>
    /// Registers (or re-registers) this connection's peer; returns the number of files registered.
    /// The entries go from the frame to the registry without a string or object per file.
    /// </summary>
    private int Register(RegisterView register)
    {
        var peer = new PeerKey(_remoteAddress, register.ListenPort);
        var previous = Registration;
        if (previous is not null && previous.Peer != peer && _registry.Unregister(previous))
        {
            // Same connection, new port: the old registration is this connection's, so it goes.
            _logger.LogInformation("peer {Peer} unregistered (replaced by {NewPeer} on the same connection)", previous.Peer, peer);
        }

        var token = _registry.Register(peer, register.Files);
        Volatile.Write(ref _registration, token);
        // The registry keeps the last entry of a repeated name, so the count is of distinct names
        // (null only if a newer REGISTER of the same peer has already replaced this one).
        var count = _registry.FileCountOf(token) ?? 0;
        _logger.LogInformation("peer {Peer} registered {Count} files", peer, count);
        return count;
    }

    /// <summary>
    /// Answers a SEARCH: the registry writes its matches straight into this connection's RESULTS
    /// frame, from the query's UTF-8 in the received frame (which stays valid until the next
    /// read, and the next read waits for this answer), so answering a search allocates nothing.
    /// </summary>
    private async ValueTask SearchAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var query = payload[(payload.Length - SearchView.Parse(payload.Span).QueryUtf8.Length)..];
        _results.Start();
        try
        {
            // Over a REGISTER connection the peer's own files are left out: it has them already.
            await _registry.SearchAsync(query, Registration?.Peer, Limits.MaxSearchResults, _results, cancellationToken);
            await _frames.SendRawAsync(_results.Finish(), cancellationToken);
        }
        finally
        {
            _results.Release();
        }
    }

    /// <summary>
    /// Answers a LOCATE with SOURCES, written from the registry's records into a pooled buffer
    /// (no object per record). Over a REGISTER connection the peer itself is left out, as in a SEARCH.
    /// </summary>
    private async ValueTask LocateAsync(ContentId id, CancellationToken cancellationToken)
    {
        _located.Clear();
        var name = _registry.Locate(id, Registration?.Peer, Limits.MaxSources, _located);
        var buffer = ArrayPool<byte>.Shared.Rent(SourcesFrameWriter.MaxFrameLength);
        try
        {
            var length = WriteSources(buffer, id, name);
            await _frames.SendRawAsync(buffer.AsMemory(0, length), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private int WriteSources(byte[] buffer, ContentId id, string name)
    {
        var writer = new SourcesFrameWriter(buffer, id);
        foreach (var source in _located)
        {
            if (!writer.TryAdd(source.Peer.Address, source.Peer.Port, source.Size, source.Held))
            {
                break;
            }
        }

        Span<byte> utf8Name = stackalloc byte[Limits.MaxNameBytes];
        return writer.Finish(utf8Name[..System.Text.Encoding.UTF8.GetBytes(name, utf8Name)]);
    }

    /// <summary>
    /// Records a HOLD's items for this connection's registration; returns the number of contents
    /// it now holds in part. Like ADD, HOLD before REGISTER is an error (ERROR 1, closed), checked
    /// before the items are read.
    /// </summary>
    private int Hold(ReadOnlySpan<byte> payload)
    {
        var registration = RequireRegistration("HOLD");
        return _registry.Hold(registration, HoldView.Parse(payload).Items) ?? throw Replaced("HOLD");
    }

    /// <summary>
    /// Withdraws a REMOVE's names from this connection's registration; returns the number of files
    /// now registered. The registration is checked before the names are read, and they go to the
    /// registry as UTF-8, never as strings.
    /// </summary>
    private int Remove(ReadOnlySpan<byte> payload)
    {
        var registration = RequireRegistration("REMOVE");
        return _registry.Remove(registration, RemoveView.Parse(payload).Names) ?? throw Replaced("REMOVE");
    }

    private RegistrationToken RequireRegistration(string messageName) =>
        Registration ?? throw new ProtocolException(ErrorCode.BadRequest, $"{messageName} on a connection that has not registered: REGISTER first");

    private ProtocolException Replaced(string messageName) =>
        new(ErrorCode.BadRequest, $"{messageName} refused: the registration of {Registration?.Peer} on this connection was replaced by a newer REGISTER");

    /// <summary>Closes the socket for the heartbeat; the pending read fails and <see cref="RunAsync"/> unregisters the peer with <paramref name="reason"/>.</summary>
    private void Expire(string reason)
    {
        if (Interlocked.CompareExchange(ref _expiredReason, reason, null) is null)
        {
            _frames.Dispose();
        }
    }

    private async Task PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _frames.SendAsync(PingMessage.Instance, cancellationToken);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or TimeoutException or ObjectDisposedException)
        {
            // The connection is failing or closing; the read loop or the peer timeout deals with it.
            _logger.LogDebug("{Remote}: sending PING failed: {Error}", _remote, ex.Message);
        }
    }

    /// <summary>
    /// Forgets this connection's registration (unless a newer one replaced it) and logs why the
    /// connection ended. Returns whether a peer was unregistered.
    /// </summary>
    private bool Close(string reason, LogLevel level)
    {
        var registration = Registration;
        if (registration is null)
        {
            _logger.Log(level, "{Remote}: connection closed ({Reason})", _remote, reason);
            return false;
        }

        try
        {
            var registeredLevel = level > LogLevel.Information ? level : LogLevel.Information;
            if (_registry.Unregister(registration))
            {
                _logger.Log(registeredLevel, "peer {Peer} unregistered ({Reason})", registration.Peer, reason);
                return true;
            }

            _logger.Log(registeredLevel, "peer {Peer} unregistered (replaced); its old connection {Remote} closed ({Reason})", registration.Peer, _remote, reason);
        }
#pragma warning disable CA1031 // A failing registry must not take the server down; it is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogError(ex, "peer {Peer}: unregistering failed ({Reason})", registration.Peer, reason);
        }

        return false;
    }
}
