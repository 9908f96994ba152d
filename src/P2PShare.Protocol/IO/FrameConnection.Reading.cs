using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace P2PShare.Protocol;

/// <summary>The reading half of <see cref="FrameConnection"/>: one reader at a time.</summary>
public sealed partial class FrameConnection
{
    private readonly ReusableDeadline _readDeadline = new();
    // Rented when bytes are about to arrive, returned while the connection waits for a frame
    // to begin (see WaitForDataAsync); empty meanwhile.
    private byte[] _buffer = [];
    private int _start;
    private int _end;

    /// <summary>Collects payloads larger than <see cref="_buffer"/>; the last one is released at the next read. Made at the first.</summary>
    private PayloadAssembler? _assembler;

    /// <summary>
    /// Reads the next frame without decoding it. Returns <see cref="ReceivedFrame.EndOfStream"/>
    /// when the other side closed the connection cleanly between frames. Waits at most
    /// <paramref name="idleTimeout"/> for a frame to begin (<see cref="Timeout.InfiniteTimeSpan"/>
    /// waits for ever); the rest of the frame must arrive within <see cref="FrameTimeout"/>.
    /// The header is checked (type 1–17, a type this side receives, a length within that type's
    /// limit: <see cref="ReceiveLimits"/>) before any payload byte is read; the payload is not
    /// checked: parse it with a view (<see cref="GetView.Parse"/>, ...) or
    /// <see cref="MessageCodec.Decode"/>. A payload larger than 4 KiB takes pooled memory as its
    /// bytes arrive, charged to the connection's <see cref="FrameMemoryBudget"/> if it has one.
    /// The payload stays valid until the next read call on this connection. Allocates nothing in
    /// the steady state, except for payloads larger than 4 KiB (pooled buffers).
    /// </summary>
    /// <exception cref="ProtocolException">
    /// The header is malformed or not for this side (ERROR 1, 3 or 5), or the memory budget has no
    /// room for the payload (ERROR 4); answer with ERROR and close.
    /// </exception>
    /// <exception cref="TimeoutException">No frame began in time, or a frame did not complete in time.</exception>
    /// <exception cref="EndOfStreamException">The connection closed in the middle of a frame.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReceivedFrame> ReadFrameAsync(TimeSpan idleTimeout, CancellationToken cancellationToken = default)
    {
        ReleaseLargePayload();
        if (_end == _start && !await FillAsync(idleTimeout, cancellationToken).ConfigureAwait(false))
        {
            return ReceivedFrame.EndOfStream;
        }

        var frameToken = _readDeadline.Start(FrameTimeout, cancellationToken);
        try
        {
            await EnsureBufferedAsync(Limits.FrameHeaderLength, frameToken).ConfigureAwait(false);
            var header = FrameHeader.Parse(_buffer.AsSpan(_start, Limits.FrameHeaderLength), _limits);
            _start += Limits.FrameHeaderLength;
            var length = (int)header.PayloadLength;
            if (length <= _buffer.Length)
            {
                await EnsureBufferedAsync(length, frameToken).ConfigureAwait(false);
                var payload = _buffer.AsMemory(_start, length);
                _start += length;
                return new ReceivedFrame((MessageType)header.Type, payload);
            }

            var large = await ReadLargePayloadAsync(length, frameToken).ConfigureAwait(false);
            return new ReceivedFrame((MessageType)header.Type, large);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"a frame did not complete within {FrameTimeout.TotalSeconds:0.#} s");
        }
        finally
        {
            _readDeadline.Stop();
        }
    }

    /// <summary>
    /// Reads the next message. Returns null when the other side closed the connection cleanly
    /// between frames. Waits at most <paramref name="idleTimeout"/> for a frame to begin
    /// (<see cref="Timeout.InfiniteTimeSpan"/> waits for ever). <see cref="ReadFrameAsync"/>
    /// followed by <see cref="MessageCodec.Decode"/>.
    /// </summary>
    /// <exception cref="ProtocolException">The frame is malformed; answer with ERROR and close.</exception>
    /// <exception cref="TimeoutException">No frame began in time, or a frame did not complete in time.</exception>
    /// <exception cref="EndOfStreamException">The connection closed in the middle of a frame.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Message?> ReadMessageAsync(TimeSpan idleTimeout, CancellationToken cancellationToken = default)
    {
        var frame = await ReadFrameAsync(idleTimeout, cancellationToken).ConfigureAwait(false);
        if (frame.IsEndOfStream)
        {
            return null;
        }

        try
        {
            return MessageCodec.Decode((byte)frame.Type, frame.Payload.Span, _limits.Channel);
        }
        finally
        {
            // The message holds no reference to the payload, so a large one can go back now.
            ReleaseLargePayload();
        }
    }

    /// <summary>
    /// Reads raw bytes that follow a DATA frame. Returns the number of bytes read, or 0 when the
    /// connection closed. Fails with <see cref="TimeoutException"/> when nothing arrives within
    /// <paramref name="timeout"/>.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReadRawAsync(Memory<byte> destination, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ReleaseLargePayload();
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

        var token = _readDeadline.Start(timeout, cancellationToken);
        try
        {
            return await Socket.ReceiveAsync(destination, SocketFlags.None, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no data for {timeout.TotalSeconds:0.#} s");
        }
        finally
        {
            _readDeadline.Stop();
        }
    }

    private void ReleaseLargePayload() => _assembler?.Release();

    /// <summary>
    /// A payload larger than the receive buffer is collected by the assembler, which takes memory
    /// only as the bytes arrive (and within the budget); it is kept until the next read, or
    /// released at once when the read fails.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadOnlyMemory<byte>> ReadLargePayloadAsync(int length, CancellationToken cancellationToken)
    {
        var assembler = _assembler ??= new PayloadAssembler(_budget, RemoteEndPoint is { } remote ? AddressGroup.Of(remote.Address) : System.Net.IPAddress.None);
        try
        {
            assembler.Begin(length);
            assembler.Append(_buffer.AsSpan(_start, _end - _start));
            _start = _end = 0;
            while (!assembler.IsComplete)
            {
                var read = await Socket.ReceiveAsync(assembler.NextSpace(), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new EndOfStreamException($"connection closed in the middle of a {length}-byte payload");
                }

                assembler.Advance(read);
            }

            return assembler.Complete();
        }
        catch
        {
            // The read has ended (failed, timed out, or refused by the budget) and no one has
            // seen the payload: its memory can go back at once.
            assembler.Release();
            throw;
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for a frame to begin; false when the other side closed before sending any byte.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FillAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var token = _readDeadline.Start(timeout, cancellationToken);
        try
        {
            await WaitForDataAsync(token).ConfigureAwait(false);
            return await ReceiveMoreAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"idle for {timeout.TotalSeconds:0.#} s waiting for a message");
        }
        finally
        {
            _readDeadline.Stop();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
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

    /// <summary>
    /// Waits until the next frame's first bytes can be read, without holding a receive buffer
    /// meanwhile: most connections of a directory are registered peers that stay silent for
    /// minutes, and thousands of idle buffers would be most of its memory. When bytes are
    /// waiting already, nothing is given back (the usual case of a busy connection).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WaitForDataAsync(CancellationToken cancellationToken)
    {
        if (Socket.Available > 0)
        {
            return;
        }

        if (_buffer.Length > 0)
        {
            var idle = _buffer;
            _buffer = [];
            _start = _end = 0;
            ArrayPool<byte>.Shared.Return(idle);
        }

        // A zero-byte receive completes when data (or the end of the stream) is there, and takes nothing.
        await Socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ReceiveMoreAsync(CancellationToken cancellationToken)
    {
        if (_buffer.Length == 0)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            _start = _end = 0;
        }

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
