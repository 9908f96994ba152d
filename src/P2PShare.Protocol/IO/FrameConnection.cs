using System.Net;
using System.Net.Sockets;

namespace P2PShare.Protocol;

/// <summary>
/// Framed messages over one connected socket: the only place that turns socket bytes into
/// frames. Reads are bounded three times: a frame's header is checked against what this side's
/// role receives (<see cref="FrameLimits"/>: which types, how large each) before anything is read;
/// a large payload takes memory only as its bytes arrive, within the server's
/// <see cref="FrameMemoryBudget"/> when there is one; and once a frame has begun the rest of it
/// must arrive within <see cref="FrameTimeout"/>, so a client that trickles bytes cannot hold a
/// connection.
/// Raw file bytes that follow a DATA frame are read with <see cref="ReadRawAsync"/>, which
/// drains what the frame reader had buffered first.
/// </summary>
/// <remarks>
/// Reading (FrameConnection.Reading.cs) and sending (FrameConnection.Sending.cs) allocate nothing
/// per frame in the steady state: buffers are reused, time limits re-arm one
/// <see cref="ReusableDeadline"/> per direction, and the async methods use pooled state machines.
/// One task reads at a time; any number of tasks may send at once.
/// </remarks>
public sealed partial class FrameConnection : IAsyncDisposable, IDisposable
{
    // Small on purpose, and held only while a frame arrives: a directory holds one connection per
    // online peer (10,000 connections with 64 KiB each were 640 MiB of its memory), and what
    // arrives in bulk does not go through it: DATA bytes are read straight into the caller's
    // buffer, and a payload larger than this is collected by a PayloadAssembler.
    private const int BufferSize = 4 * 1024;

    private readonly FrameLimits _limits;
    private readonly FrameMemoryBudget? _budget;
    private int _disposed;

    /// <summary>
    /// A connection that receives what <paramref name="limits"/> accepts (the table of this side's
    /// role), its large payloads charged to <paramref name="budget"/> when given (a server shares
    /// one budget among all its connections).
    /// </summary>
    public FrameConnection(Socket socket, FrameLimits limits, FrameMemoryBudget? budget = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(limits);
        Socket = socket;
        _limits = limits;
        _budget = budget;
        RemoteEndPoint = socket.RemoteEndPoint as IPEndPoint;
    }

    /// <summary>
    /// A connection that receives every message type of <paramref name="channel"/> up to the
    /// protocol's 16 MiB (<see cref="FrameLimits.AnyRole"/>): for tools and tests that play any
    /// role. A server or peer gives the table of its role instead.
    /// </summary>
    public FrameConnection(Socket socket, Channel channel)
        : this(socket, FrameLimits.AnyRole(channel))
    {
    }

    public Socket Socket { get; }

    public IPEndPoint? RemoteEndPoint { get; }

    /// <summary>Time allowed for the rest of a frame once its first byte has arrived, and for one send.</summary>
    public TimeSpan FrameTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>What this side receives: the message types and the largest payload of each.</summary>
    public FrameLimits ReceiveLimits => _limits;

    /// <summary>
    /// Best effort: tells the other side why the connection is being closed. Errors while doing
    /// so are ignored, since the connection is going away anyway.
    /// </summary>
    public async ValueTask TrySendErrorAsync(ErrorCode code, string text)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await SendAsync(new ErrorMessage(code, text), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or TimeoutException or ObjectDisposedException)
        {
            // The peer is gone or not reading; nothing more to tell it.
        }
    }

    /// <summary>
    /// Sends ERROR, then closes gracefully: this side is shut down (so the other side reads the
    /// ERROR followed by end of stream) and its unread input is drained for a moment. Closing a
    /// socket that still has unread input makes the kernel send a reset instead, which can destroy
    /// the ERROR before it is read, and after a refused frame header there usually is unread input
    /// (the payload that was never read).
    /// </summary>
    public async Task SendErrorAndCloseAsync(ErrorCode code, string text)
    {
        const int LingerMaxBytes = 256 * 1024;
        await TrySendErrorAsync(code, text).ConfigureAwait(false);
        try
        {
            Socket.Shutdown(SocketShutdown.Send);
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            var buffer = new byte[4096];
            var drained = 0;
            while (drained < LingerMaxBytes)
            {
                var read = await Socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                drained += read;
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The other side is gone, or still sending after the linger time: close regardless.
        }

        Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            Socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the other side.
        }
        catch (ObjectDisposedException)
        {
        }

        Socket.Dispose();
        _sendLock.Dispose();
        _readDeadline.Dispose();
        _sendDeadline.Dispose();
        // The budget is given back at once, but the buffers go back to the pool only once no read
        // can be using them: reads stop when the socket is disposed, but a read may still be
        // unwinding (or its caller still looking at a payload), so the buffers are dropped rather
        // than returned.
        _assembler?.Close();
        _buffer = [];
    }
}
