using System.Net;
using System.Net.Sockets;

namespace P2PShare.LoadTest;

/// <summary>Plain socket helpers: connect from a chosen loopback address, read exactly n bytes.</summary>
internal static class SocketIO
{
    /// <summary>
    /// Loopback address number <paramref name="index"/> in 127.<paramref name="block"/>.x.y. Linux
    /// routes all of 127.0.0.0/8 to lo, so each simulated peer can have an address of its own, as
    /// real peers do, and the server's per-address connection limit applies to each separately.
    /// </summary>
    public static IPAddress LoopbackAddress(int block, int index) =>
        new([127, (byte)block, (byte)(index / 250), (byte)(index % 250 + 1)]);

    public static async Task<Socket> ConnectFromAsync(IPAddress local, IPEndPoint server, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(local, 0));
            await socket.ConnectAsync(server, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Fills <paramref name="buffer"/>; false when the other side closed first.</summary>
    public static async ValueTask<bool> ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (buffer.Length > 0)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return false;
            }

            buffer = buffer[read..];
        }

        return true;
    }

    public static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (data.Length > 0)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
    }
}
