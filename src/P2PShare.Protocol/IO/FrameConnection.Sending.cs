using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace P2PShare.Protocol;

/// <summary>The sending half of <see cref="FrameConnection"/>: safe to use from several tasks at once.</summary>
public sealed partial class FrameConnection
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ReusableDeadline _sendDeadline = new();

    /// <summary>Sends one message as a frame. Safe to call from several tasks at once.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
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
