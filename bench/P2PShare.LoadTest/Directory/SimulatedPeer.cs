using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using P2PShare.Protocol;

namespace P2PShare.LoadTest.Directory;

/// <summary>
/// One simulated peer on the directory: its own TCP connection from its own loopback address,
/// a REGISTER, and then a loop that keeps it online by answering the server's PINGs with PONG
/// (PROTOCOL.md 8.5, heartbeat). The registration lasts as long as the connection.
/// </summary>
internal sealed class SimulatedPeer : IAsyncDisposable
{
    private static readonly byte[] Pong = MessageCodec.EncodeFrame(PongMessage.Instance);

    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly byte[] _header = new byte[Limits.FrameHeaderLength];
    private Task _heartbeat = Task.CompletedTask;

    private SimulatedPeer(Socket socket) => _socket = socket;

    /// <summary>Connects, registers and waits for OK; returns the peer, or throws with the reason.</summary>
    public static async Task<SimulatedPeer> RegisterAsync(IPAddress local, IPEndPoint server, byte[] registerFrame, uint expectedFiles, CancellationToken cancellationToken)
    {
        var socket = await SocketIO.ConnectFromAsync(local, server, cancellationToken).ConfigureAwait(false);
        var peer = new SimulatedPeer(socket);
        try
        {
            await SocketIO.SendAllAsync(socket, registerFrame, cancellationToken).ConfigureAwait(false);
            var files = await peer.ReadOkAsync(cancellationToken).ConfigureAwait(false);
            if (files != expectedFiles)
            {
                throw new InvalidOperationException($"OK says {files} files, expected {expectedFiles}");
            }

            peer._heartbeat = peer.AnswerPingsAsync();
            return peer;
        }
        catch
        {
            await peer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Number of PINGs answered.</summary>
    public int PingsAnswered { get; private set; }

    /// <summary>Whether the connection is still open (the server has not dropped the peer).</summary>
    public bool IsOnline => !_heartbeat.IsCompleted;

    private async Task<uint> ReadOkAsync(CancellationToken cancellationToken)
    {
        var payload = new byte[256];
        while (true)
        {
            var (type, length) = await ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
            if (length > payload.Length)
            {
                throw new InvalidOperationException($"unexpected frame type {type} of {length} bytes while registering");
            }

            if (!await SocketIO.ReceiveExactlyAsync(_socket, payload.AsMemory(0, length), cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException("the server closed the connection while registering");
            }

            switch ((MessageType)type)
            {
                case MessageType.Ok when length == 4:
                    return BinaryPrimitives.ReadUInt32BigEndian(payload);
                case MessageType.Ping:
                    await SocketIO.SendAllAsync(_socket, Pong, cancellationToken).ConfigureAwait(false);
                    break;
                case MessageType.Error:
                    throw new InvalidOperationException($"REGISTER refused: {MessageCodec.Decode(type, payload.AsSpan(0, length), Channel.Directory)}");
                default:
                    throw new InvalidOperationException($"unexpected frame type {type} while registering");
            }
        }
    }

    private async Task AnswerPingsAsync()
    {
        var token = _stop.Token;
        var scratch = new byte[64];
        try
        {
            while (true)
            {
                var (type, length) = await ReadHeaderAsync(token).ConfigureAwait(false);
                for (var left = length; left > 0; left -= Math.Min(left, scratch.Length))
                {
                    if (!await SocketIO.ReceiveExactlyAsync(_socket, scratch.AsMemory(0, Math.Min(left, scratch.Length)), token).ConfigureAwait(false))
                    {
                        return;
                    }
                }

                if (type == (byte)MessageType.Ping)
                {
                    await SocketIO.SendAllAsync(_socket, Pong, token).ConfigureAwait(false);
                    PingsAnswered++;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or InvalidOperationException or ObjectDisposedException)
        {
            // Stopped, or the server closed the connection: the peer is offline.
        }
    }

    private async ValueTask<(byte Type, int Length)> ReadHeaderAsync(CancellationToken cancellationToken)
    {
        if (!await SocketIO.ReceiveExactlyAsync(_socket, _header, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException("the server closed the connection");
        }

        return (_header[0], checked((int)BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(1))));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _heartbeat.ConfigureAwait(false);
        _stop.Dispose();
    }
}
