using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>How a peer is set up (the <c>p2pshare peer</c> options).</summary>
public sealed record PeerOptions
{
    public const ushort DefaultPort = 3300;

    public required HostPort Server { get; init; }

    /// <summary>Port uploads are served on; 0 picks a free one.</summary>
    public ushort Port { get; init; } = DefaultPort;

    /// <summary>Address uploads listen on.</summary>
    public System.Net.IPAddress ListenAddress { get; init; } = System.Net.IPAddress.Any;

    public string ShareFolder { get; init; } = "shared";

    public string DownloadsFolder { get; init; } = "downloads";

    /// <summary>Total upload bandwidth in bytes per second; null for no limit.</summary>
    public long? UploadLimit { get; init; }
}
