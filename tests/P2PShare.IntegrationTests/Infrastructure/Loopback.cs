using System.Net;
using System.Net.Sockets;

namespace P2PShare.IntegrationTests.Infrastructure;

/// <summary>
/// Connections from a chosen loopback address. Every address of 127.0.0.0/8 reaches this
/// machine, so a test can play clients at distinct addresses (127.0.0.2, 127.0.0.3, ...) as the
/// directory and the downloaders see them.
/// </summary>
public static class Loopback
{
    /// <summary>
    /// Connects to <paramref name="remote"/>:<paramref name="port"/> from <paramref name="local"/>
    /// (when both are of one family; otherwise from whatever address the system picks).
    /// </summary>
    public static async Task<Socket> ConnectFromAsync(IPAddress local, IPAddress remote, int port, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(remote);
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (local.AddressFamily == remote.AddressFamily)
            {
                socket.Bind(new IPEndPoint(local, 0));
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(TimeSpan.FromSeconds(5));
            await socket.ConnectAsync(new IPEndPoint(remote, port), deadline.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
