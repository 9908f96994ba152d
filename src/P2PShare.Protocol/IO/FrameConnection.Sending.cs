using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace P2PShare.Protocol;

/// <summary>The sending half of <see cref="FrameConnection"/>: safe to use from several tasks at once.</summary>
public sealed partial class FrameConnection
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ReusableDeadline _sendDeadline = new();

    /// <summary>
    /// Sends one message as a frame. Safe to call from several tasks at once. An ERROR whose text
    /// is longer than every receiver accepts (<see cref="FrameLimits.MaxErrorPayload"/>) is cut
    /// short, with "…" at the end.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(Message message, CancellationToken cancellationToken = default)
    {
        if (message is ErrorMessage error)
        {
            message = WithinErrorLimit(error);
        }

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

    /// <summary>
    /// Sends bytes as they are (frames already encoded, e.g. with <see cref="FrameWriter"/>, or file
    /// bytes after DATA), all of them before any other send on this connection. Safe to call from
    /// several tasks at once; waits at most <see cref="FrameTimeout"/> for the send lock and
    /// <see cref="FrameTimeout"/> for the other side to take the bytes. Allocates nothing unless
    /// it has to wait for another sender.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendRawAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (!_sendLock.Wait(0, CancellationToken.None))
        {
            await WaitForSendLockAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var token = _sendDeadline.Start(FrameTimeout, cancellationToken);
            try
            {
                while (!data.IsEmpty)
                {
                    var sent = await Socket.SendAsync(data, SocketFlags.None, token).ConfigureAwait(false);
                    data = data[sent..];
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"the other side did not take {data.Length} bytes within {FrameTimeout.TotalSeconds:0.#} s");
            }
            finally
            {
                _sendDeadline.Stop();
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The ERROR itself when its text fits in <see cref="FrameLimits.MaxErrorPayload"/>, else one with the text cut at a character boundary.</summary>
    private static ErrorMessage WithinErrorLimit(ErrorMessage error)
    {
        const int MaxTextBytes = FrameLimits.MaxErrorPayload - 4;
        const char Ellipsis = '…';
        if (error.Text.Length <= MaxTextBytes / 3 || System.Text.Encoding.UTF8.GetByteCount(error.Text) <= MaxTextBytes)
        {
            return error;
        }

        var room = MaxTextBytes - 3; // "…" is 3 bytes of UTF-8
        var text = new System.Text.StringBuilder();
        foreach (var rune in error.Text.EnumerateRunes())
        {
            room -= rune.Utf8SequenceLength;
            if (room < 0)
            {
                break;
            }

            text.Append(rune.ToString());
        }

        return error with { Text = text.Append(Ellipsis).ToString() };
    }

    /// <summary>
    /// The slow path, when another task is sending: a waiter of its own (which allocates anyway)
    /// and a deadline of its own, since the shared one belongs to the lock holder.
    /// </summary>
    private async Task WaitForSendLockAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(FrameTimeout);
        await _sendLock.WaitAsync(deadline.Token).ConfigureAwait(false);
    }
}
