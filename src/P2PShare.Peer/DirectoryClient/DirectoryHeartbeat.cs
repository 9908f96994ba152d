namespace P2PShare.Peer;

/// <summary>
/// How a connection to the directory notices a silent server: after <see cref="PingInterval"/>
/// with nothing from the server it sends PING, and after <see cref="Timeout"/> with nothing it
/// gives the connection up. The server PINGs every 30 s, so a live server is never silent that long.
/// </summary>
public sealed record DirectoryHeartbeat(TimeSpan PingInterval, TimeSpan Timeout)
{
    public static readonly TimeSpan DefaultPingInterval = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);

    public static DirectoryHeartbeat Default { get; } = new(DefaultPingInterval, DefaultTimeout);
}
