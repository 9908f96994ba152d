using System.Net;
using System.Net.Sockets;

namespace P2PShare.Tests.Protocol;

/// <summary>A connected pair of TCP sockets on 127.0.0.1.</summary>
internal static class Loopback
{
    public static async Task<(Socket Client, Socket Server)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var accept = listener.AcceptAsync(TestContext.Current.CancellationToken).AsTask();
        await client.ConnectAsync(listener.LocalEndPoint!, TestContext.Current.CancellationToken);
        var server = await accept;
        server.NoDelay = true;
        return (client, server);
    }

    public static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, TestContext.Current.CancellationToken);
            data = data[sent..];
        }
    }
}
