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
    /// connection has no idle limit: it stays open for as long as the peer is online (and answers
    /// the heartbeat, see <see cref="PingInterval"/>).
    /// </summary>
    public TimeSpan UnregisteredIdleTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Time allowed for the rest of a frame once it has begun, and for one send.</summary>
    public TimeSpan FrameTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Heartbeat: a registered connection from which nothing has arrived for this long is sent a
    /// PING, and another one every interval while it stays silent.
    /// </summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Heartbeat: a registered peer from which nothing (not even a PONG) has arrived for this long
    /// is unregistered and its connection closed. Must be longer than <see cref="PingInterval"/>.
    /// </summary>
    public TimeSpan PeerTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Most connections open at once from one address; more are refused with ERROR 4 (busy).</summary>
    public int MaxConnectionsPerAddress { get; init; } = 256;

    /// <summary>Most connections open at once in all; more are refused with ERROR 4 (busy).</summary>
    public int MaxConnections { get; init; } = 60_000;

    /// <summary>Length of the queue of connections the kernel accepts before the server takes them.</summary>
    public int Backlog { get; init; } = 512;

    /// <summary>
    /// On stop, how long requests already being answered get to finish after the server has
    /// stopped accepting; then every connection is closed (<c>--drain-timeout</c>).
    /// </summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Most bytes that frames being received from one address (an IPv6 /64 counts as one) may
    /// hold at once, including a frame being answered (<c>--frame-memory-per-address</c>, in
    /// MiB). Two frames of the largest size (16 MiB): a peer re-registering its longest list gets
    /// through, while a few addresses that begin big frames and stall cannot use up
    /// <see cref="MaxFrameBytes"/> alone. At least 16 MiB. Over it: ERROR 4 and the connection closed.
    /// </summary>
    public long MaxFrameBytesPerAddress { get; init; } = 32L * 1024 * 1024;

    /// <summary>
    /// Most bytes that frames being received from all addresses may hold at once
    /// (<c>--frame-memory</c>, in MiB): what stalled or slow frames can cost the server at most,
    /// a small part of its memory, while still enough for several peers sending their longest
    /// lists at the same time. At least <see cref="MaxFrameBytesPerAddress"/>. Over it: ERROR 4
    /// and the connection closed.
    /// </summary>
    public long MaxFrameBytes { get; init; } = 128L * 1024 * 1024;
}
