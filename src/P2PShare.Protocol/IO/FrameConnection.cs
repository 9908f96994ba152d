using System.Net;
using System.Net.Sockets;

namespace P2PShare.Protocol;

/// <summary>
/// Framed messages over one connected socket: the only place that turns socket bytes into
/// frames. Reads are bounded twice: a frame's declared length is checked against the limit
/// before anything is read, and once a frame has begun the rest of it must arrive within
/// <see cref="FrameTimeout"/>, so a client that trickles bytes cannot hold a connection.
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
    // buffer, and a payload larger than this gets a pooled buffer for as long as it is read.
    private const int BufferSize = 4 * 1024;

    private readonly Channel _channel;
    private int _disposed;

    public FrameConnection(Socket socket, Channel channel)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Socket = socket;
        _channel = channel;
        RemoteEndPoint = socket.RemoteEndPoint as IPEndPoint;
    }

    public Socket Socket { get; }

    public IPEndPoint? RemoteEndPoint { get; }

    /// <summary>Time allowed for the rest of a frame once its first byte has arrived, and for one send.</summary>
    public TimeSpan FrameTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest payload accepted.</summary>
    public int MaxPayload { get; init; } = Limits.MaxControlPayload;

    /// <summary>
    /// Best effort: tells the other side why the connection is being closed. Errors while doing
    /// so are ignored, since the connection is going away anyway.
    /// </summary>
    public async ValueTask TrySendErrorAsync(ErrorCode code, string text)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await SendAsync(new ErrorMessage(code, Truncate(text)), timeout.Token).ConfigureAwait(false);
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
        // The buffers go back to the pool only once no read can be using them: reads stop when
        // the socket is disposed, but a read may still be unwinding (or its caller still looking
        // at a payload), so the buffers are dropped rather than returned.
        _buffer = [];
        _largePayload = null;
    }

    private static string Truncate(string text) => text.Length <= 1000 ? text : text[..1000] + "…";
}
