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
public sealed class DirectoryConnection : IAsyncDisposable
{
    /// <summary>File entries sent per REGISTER/ADD frame, well under the 16 MiB payload limit.</summary>
    internal const int MaxEntriesPerFrame = 8_000;

    private readonly FrameConnection _connection;
    private readonly SemaphoreSlim _requestLock = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _readLoop;
    private TaskCompletionSource<Message>? _pending;
    private Exception? _closeReason;

    private DirectoryConnection(Socket socket, string serverName)
    {
        _connection = new FrameConnection(socket, Channel.Directory);
        ServerName = serverName;
        _readLoop = ReadLoopAsync();
    }

    /// <summary>The server as <c>address:port</c>.</summary>
    public string ServerName { get; }

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Completes when the connection has ended, for whatever reason.</summary>
    public Task Completion => _readLoop;

    /// <summary>Why the connection ended, once it has.</summary>
    public Exception? CloseReason => _closeReason;

    public static async Task<DirectoryConnection> ConnectAsync(HostPort server, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        Socket socket;
        try
        {
            socket = await server.ConnectAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException)
        {
            throw new DirectoryException($"directory server {server} is unreachable: {ex.Message}", null, ex);
        }

        var remote = (IPEndPoint)socket.RemoteEndPoint!;
        return new DirectoryConnection(socket, HostPort.FormatEndPoint(remote.Address, remote.Port));
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

    public async ValueTask DisposeAsync()
    {
        if (!_closing.IsCancellationRequested)
        {
            await _closing.CancelAsync().ConfigureAwait(false);
        }

        _connection.Dispose();
        await _readLoop.ConfigureAwait(false);
        _requestLock.Dispose();
        _closing.Dispose();
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
                switch (message)
                {
                    case null:
                        throw new EndOfStreamException("the server closed the connection");
                    case PingMessage:
                        await _connection.SendAsync(PongMessage.Instance, _closing.Token).ConfigureAwait(false);
                        break;
                    case PongMessage:
                        break;
                    case ResultsMessage or OkMessage or ErrorMessage:
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
            _closeReason = _closing.IsCancellationRequested ? new OperationCanceledException("connection closed by this peer") : ex;
        }
        finally
        {
            _connection.Dispose();
            Volatile.Read(ref _pending)?.TrySetException(Unavailable(_closeReason));
        }
    }
}
