using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using P2PShare.Protocol;

namespace P2PShare.LoadTest.Attacks;

/// <summary>
/// A directory client on a blocking socket bound to a loopback address of its own, for clients
/// that run on a thread of their own so that their waits measure the server, not a thread pool
/// shared with the load. Also compiled into the integration tests (issue 13's abuse tests).
/// </summary>
internal static class BlockingDirectoryClient
{
    /// <summary>Connects from <paramref name="local"/>; a receive that waits longer than <paramref name="receiveTimeout"/> fails.</summary>
    public static Socket Connect(IPEndPoint server, IPAddress local, TimeSpan receiveTimeout)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = (int)receiveTimeout.TotalMilliseconds };
        try
        {
            socket.Bind(new IPEndPoint(local, 0));
            socket.Connect(server);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads the next frame whole: its type and its payload.</summary>
    public static (MessageType Type, byte[] Payload) ReadFrame(Socket socket)
    {
        var header = new byte[Limits.FrameHeaderLength];
        ReceiveExactly(socket, header);
        var payload = new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1))];
        ReceiveExactly(socket, payload);
        return ((MessageType)header[0], payload);
    }

    private static void ReceiveExactly(Socket socket, byte[] buffer)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = socket.Receive(buffer, filled, buffer.Length - filled, SocketFlags.None);
            if (read == 0)
            {
                throw new EndOfStreamException("the server closed the connection");
            }

            filled += read;
        }
    }
}
