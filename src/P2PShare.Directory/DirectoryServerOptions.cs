using System.Net;

namespace P2PShare.Directory;

/// <summary>Settings of a <see cref="DirectoryServer"/>; the defaults are what the CLI uses.</summary>
public sealed class DirectoryServerOptions
{
    /// <summary>
    /// Where to listen. Port 0 picks a free port (see <see cref="DirectoryServer.LocalEndPoint"/>);
    /// <see cref="IPAddress.IPv6Any"/> listens in dual mode, accepting IPv4 clients as well.
    /// </summary>
    public IPEndPoint ListenEndPoint { get; init; } = new(IPAddress.Any, 3400);

    /// <summary>
    /// How long a connection that has not registered may stay silent between frames before it is
    /// closed, so that idle searchers and half-open sockets do not pile up. A registered
    /// connection has no idle limit: it stays open for as long as the peer is online.
    /// </summary>
    public TimeSpan UnregisteredIdleTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Time allowed for the rest of a frame once it has begun, and for one send.</summary>
    public TimeSpan FrameTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Length of the queue of connections the kernel accepts before the server takes them.</summary>
    public int Backlog { get; init; } = 512;
}
