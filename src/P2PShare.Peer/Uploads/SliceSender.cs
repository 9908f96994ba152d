using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace P2PShare.Peer;

/// <summary>
/// Sends one slice of an answer in one <see cref="Socket.SendPacketsAsync(SocketAsyncEventArgs)"/>:
/// a few bytes (a frame header, may be empty) followed by a range of a file or by bytes held
/// elsewhere. On Linux a file range goes from the page cache to the socket with sendfile(2), and
/// held bytes (the chunk digests of a HASH_LIST) are sent where they are; nothing passes through
/// a buffer of ours. One per connection; its event args are reused for every send, and a send
/// completes as an awaitable without a task of its own.
/// </summary>
/// <remarks>
/// A send that makes no progress is ended by disposing the socket (a socket operation of this
/// kind cannot be cancelled otherwise); the connection is lost then anyway. A file that turned
/// out shorter than the range (truncated since it was opened) is reported as an
/// <see cref="IOException"/>: the bytes sent fall short of what the frame announced, so the
/// connection must close.
/// </remarks>
internal sealed class SliceSender : IValueTaskSource, IDisposable
{
    private readonly SocketAsyncEventArgs _args = new();
    private readonly SendPacketsElement[] _two = new SendPacketsElement[2];
    private readonly SendPacketsElement[] _one = new SendPacketsElement[1];
    private ManualResetValueTaskSourceCore<bool> _completion = new() { RunContinuationsAsynchronously = true };

    public SliceSender() => _args.Completed += OnCompleted;

    /// <summary>Sends <paramref name="prefix"/> (may be empty), then <paramref name="count"/> bytes of <paramref name="file"/> from <paramref name="offset"/>.</summary>
    /// <exception cref="SocketException">The connection failed (or was closed because the send stalled).</exception>
    /// <exception cref="IOException">The file ended before the range did.</exception>
    public async ValueTask SendAsync(Socket socket, ReadOnlyMemory<byte> prefix, FileStream file, long offset, int count)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(file);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        // sendfile reads through the descriptor, not through the stream's position or buffer;
        // a range past the end is refused up front rather than sent short.
        if (offset + count > RandomAccess.GetLength(file.SafeFileHandle))
        {
            throw new IOException($"{Path.GetFileName(file.Name)} is shorter than it was: it ends before byte {offset + count}");
        }

        await SendAsync(socket, prefix, new SendPacketsElement(file, offset, count)).ConfigureAwait(false);
        if (_args.BytesTransferred != prefix.Length + count)
        {
            throw new IOException($"{Path.GetFileName(file.Name)} was truncated while it was being sent: {_args.BytesTransferred} of {prefix.Length + count} bytes went out");
        }
    }

    /// <summary>Sends <paramref name="prefix"/> (may be empty), then <paramref name="bytes"/>, which must not change until the send is done.</summary>
    /// <exception cref="SocketException">The connection failed (or was closed because the send stalled).</exception>
    public async ValueTask SendAsync(Socket socket, ReadOnlyMemory<byte> prefix, ReadOnlyMemory<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(socket);
        await SendAsync(socket, prefix, new SendPacketsElement(bytes)).ConfigureAwait(false);
    }

    private async ValueTask SendAsync(Socket socket, ReadOnlyMemory<byte> prefix, SendPacketsElement body)
    {
        SendPacketsElement[] elements;
        if (prefix.IsEmpty)
        {
            elements = _one;
            elements[0] = body;
        }
        else
        {
            elements = _two;
            elements[0] = new SendPacketsElement(prefix);
            elements[1] = body;
        }

        _completion.Reset();
        _args.SendPacketsElements = elements;
        try
        {
            if (socket.SendPacketsAsync(_args))
            {
                await new ValueTask(this, _completion.Version).ConfigureAwait(false);
            }
        }
        finally
        {
            // No reference to the file or the bytes outlives the send.
            Array.Clear(elements);
            _args.SendPacketsElements = null;
        }

        if (_args.SocketError != SocketError.Success)
        {
            throw new SocketException((int)_args.SocketError);
        }
    }

    public void Dispose() => _args.Dispose();

    void IValueTaskSource.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);

    private void OnCompleted(object? sender, SocketAsyncEventArgs args) => _completion.SetResult(true);
}
