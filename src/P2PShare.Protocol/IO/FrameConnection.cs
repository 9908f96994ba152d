using System.Buffers;
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
public sealed class FrameConnection : IAsyncDisposable, IDisposable
{
    private const int BufferSize = 64 * 1024;

    private readonly Channel _channel;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _start;
    private int _end;
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
    /// Reads the next message. Returns null when the other side closed the connection cleanly
    /// between frames. Waits at most <paramref name="idleTimeout"/> for a frame to begin
    /// (<see cref="Timeout.InfiniteTimeSpan"/> waits for ever).
    /// </summary>
    /// <exception cref="ProtocolException">The frame is malformed; answer with ERROR and close.</exception>
    /// <exception cref="TimeoutException">No frame began in time, or a frame did not complete in time.</exception>
    /// <exception cref="EndOfStreamException">The connection closed in the middle of a frame.</exception>
    public async ValueTask<Message?> ReadMessageAsync(TimeSpan idleTimeout, CancellationToken cancellationToken = default)
    {
        if (_end == _start && !await FillAsync(idleTimeout, "waiting for a message", cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        using var frameDeadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        frameDeadline.CancelAfter(FrameTimeout);
        try
        {
            await EnsureBufferedAsync(Limits.FrameHeaderLength, frameDeadline.Token).ConfigureAwait(false);
            var header = FrameHeader.Parse(_buffer.AsSpan(_start, Limits.FrameHeaderLength), MaxPayload);
            _start += Limits.FrameHeaderLength;
            var length = (int)header.PayloadLength;
            if (length <= _buffer.Length)
            {
                await EnsureBufferedAsync(length, frameDeadline.Token).ConfigureAwait(false);
                var message = MessageCodec.Decode(header.Type, _buffer.AsSpan(_start, length), _channel);
                _start += length;
                return message;
            }

            // A payload larger than the receive buffer gets a buffer of its own, rented only now
            // that its length is known to be within the limit.
            var payload = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                var buffered = _end - _start;
                _buffer.AsSpan(_start, buffered).CopyTo(payload);
                _start = _end = 0;
                var filled = buffered;
                while (filled < length)
                {
                    var read = await Socket.ReceiveAsync(payload.AsMemory(filled, length - filled), SocketFlags.None, frameDeadline.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw new EndOfStreamException($"connection closed after {filled} of {length} payload bytes");
                    }

                    filled += read;
                }

                return MessageCodec.Decode(header.Type, payload.AsSpan(0, length), _channel);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(payload);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"a frame did not complete within {FrameTimeout.TotalSeconds:0.#} s");
        }
    }

    /// <summary>
    /// Reads raw bytes that follow a DATA frame. Returns the number of bytes read, or 0 when the
    /// connection closed. Fails with <see cref="TimeoutException"/> when nothing arrives within
    /// <paramref name="timeout"/>.
    /// </summary>
    public async ValueTask<int> ReadRawAsync(Memory<byte> destination, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (destination.IsEmpty)
        {
            return 0;
        }

        if (_end > _start)
        {
            var count = Math.Min(destination.Length, _end - _start);
            _buffer.AsMemory(_start, count).CopyTo(destination);
            _start += count;
            return count;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await Socket.ReceiveAsync(destination, SocketFlags.None, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no data for {timeout.TotalSeconds:0.#} s");
        }
    }

    /// <summary>Sends one message as a frame. Safe to call from several tasks at once.</summary>
    public async ValueTask SendAsync(Message message, CancellationToken cancellationToken = default)
    {
        var length = MessageCodec.GetFrameLength(message);
        var frame = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            MessageCodec.WriteFrame(message, frame);
            await SendRawAsync(frame.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>Sends bytes as they are (a frame already encoded, or file bytes after DATA).</summary>
    public async ValueTask SendRawAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(FrameTimeout);
        await _sendLock.WaitAsync(deadline.Token).ConfigureAwait(false);
        try
        {
            while (!data.IsEmpty)
            {
                var sent = await Socket.SendAsync(data, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                data = data[sent..];
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the other side did not take {data.Length} bytes within {FrameTimeout.TotalSeconds:0.#} s");
        }
        finally
        {
            _sendLock.Release();
        }
    }

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
        // The buffer goes back to the pool only once no read can be using it: reads stop when
        // the socket is disposed, but a read may still be unwinding, so the buffer is dropped
        // rather than returned.
        _buffer = [];
    }

    private static string Truncate(string text) => text.Length <= 1000 ? text : text[..1000] + "…";

    /// <summary>Receives more bytes; false when the other side closed before sending any.</summary>
    private async ValueTask<bool> FillAsync(TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return await ReceiveMoreAsync(cancellationToken).ConfigureAwait(false);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await ReceiveMoreAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"idle for {timeout.TotalSeconds:0.#} s {what}");
        }
    }

    private async ValueTask EnsureBufferedAsync(int count, CancellationToken cancellationToken)
    {
        while (_end - _start < count)
        {
            if (!await ReceiveMoreAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new EndOfStreamException($"connection closed in the middle of a frame ({_end - _start} of {count} bytes)");
            }
        }
    }

    private async ValueTask<bool> ReceiveMoreAsync(CancellationToken cancellationToken)
    {
        if (_start > 0 && (_end == _buffer.Length || _start == _end))
        {
            // Compact: move what is left to the front so the next receive has room.
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        var read = await Socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        _end += read;
        return read > 0;
    }
}
