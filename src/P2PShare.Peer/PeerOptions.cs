using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>How a peer is set up (the <c>p2pshare peer</c> options).</summary>
public sealed record PeerOptions
{
    public const ushort DefaultPort = 3300;

    public required HostPort Server { get; init; }

    /// <summary>Port uploads are served on; 0 picks a free one.</summary>
    public ushort Port { get; init; } = DefaultPort;

    /// <summary>
    /// Address uploads listen on. Null (the default) listens on every address of both families
    /// (<c>[::]</c> accepting IPv4 too), or of IPv4 alone where the machine has no IPv6: a peer
    /// that reaches the directory over IPv6 is listed at its IPv6 address and must accept there.
    /// </summary>
    public System.Net.IPAddress? ListenAddress { get; init; }

    public string ShareFolder { get; init; } = "shared";

    public string DownloadsFolder { get; init; } = "downloads";

    /// <summary>
    /// Whether finished downloads are served to others (<c>--no-share-downloads</c> turns it
    /// off): the downloads folder is shared beside the shared folder, and a download that has
    /// just finished goes on serving its content until the share lists it.
    /// </summary>
    public bool ShareDownloads { get; init; } = true;

    /// <summary>Files downloaded at once by default, by a peer (<c>peer --parallel</c>) or by one <c>get</c> of several files (<c>get --parallel</c>).</summary>
    public const int DefaultParallelDownloads = 8;

    /// <summary>Most downloads run at once; the others wait their turn (a folder of a thousand files is not a thousand downloads at once).</summary>
    public int ParallelDownloads { get; init; } = DefaultParallelDownloads;

    /// <summary>Total upload bandwidth in bytes per second; null for no limit.</summary>
    public long? UploadLimit { get; init; }

    /// <summary>
    /// Folder for the peer's state: the hash cache (<see cref="HashCache.DatabaseFileName"/>),
    /// which several peers may share. Null keeps no state, so every start hashes every file;
    /// <c>p2pshare peer</c> uses <see cref="DefaultStateFolder"/> unless told otherwise.
    /// </summary>
    public string? StateFolder { get; init; }

    /// <summary>Most sources one download uses at once (<c>--sources</c>).</summary>
    public int MaxSources { get; init; } = 8;

    /// <summary>What downloads demand of their sources (<c>--min-source-rate</c>, <c>--sources-per-address</c>).</summary>
    public SourceLimits SourceLimits { get; init; } = new();

    /// <summary>Whether each finished download is flushed to the disk before it takes its name (<c>--fsync</c>; see <see cref="DownloadOptions.SyncToDisk"/>).</summary>
    public bool SyncDownloadsToDisk { get; init; }

    /// <summary>Whether downloads are written with direct I/O (<c>--direct-io</c>; see <see cref="DownloadOptions.DirectWrites"/>).</summary>
    public bool DirectWrites { get; init; }

    /// <summary>
    /// How long the start waits for the first scan of the shared folder before it registers with
    /// what is known so far (the rest is announced while it is hashed).
    /// </summary>
    public TimeSpan InitialScanWait { get; init; } = TimeSpan.FromSeconds(0.5);

    /// <summary>Silence from the directory after which the peer PINGs it (<c>--ping-interval</c>).</summary>
    public TimeSpan PingInterval { get; init; } = DirectoryHeartbeat.DefaultPingInterval;

    /// <summary>Silence from the directory after which the peer gives the connection up and reconnects (<c>--peer-timeout</c>).</summary>
    public TimeSpan PeerTimeout { get; init; } = DirectoryHeartbeat.DefaultTimeout;

    /// <summary>
    /// Whether to watch the shared folder and announce files added, changed and removed while
    /// the peer runs (<c>p2pshare peer</c> does); otherwise only rescans do.
    /// </summary>
    public bool WatchShare { get; init; }

    /// <summary>A watched share leaves out files modified less than this long ago (they may still be being written) until they settle.</summary>
    public TimeSpan ShareSettleTime { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A watched share is also rescanned this often, in case a change was missed.</summary>
    public TimeSpan SafetyRescanInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>On shutdown, how long running uploads may take to finish (<c>--drain-timeout</c>).</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Most upload connections served at once (<c>--max-connections</c>); more are answered busy.</summary>
    public int MaxConnections { get; init; } = 1000;

    /// <summary>Most upload connections served at once to one address (<c>--max-per-address</c>); more are answered busy.</summary>
    public int MaxConnectionsPerAddress { get; init; } = 256;

    /// <summary>
    /// How long a downloader may take to accept one slice (at most 1 MiB) of an upload before its
    /// connection is closed and its slot freed (<c>--stall-timeout</c>).
    /// </summary>
    public TimeSpan UploadStallTimeout { get; init; } = UploadServer.DefaultStallTimeout;

    /// <summary>
    /// <c>$XDG_STATE_HOME/p2pshare</c> when that variable holds an absolute path, else
    /// <c>~/.local/state/p2pshare</c>.
    /// </summary>
    public static string DefaultStateFolder()
    {
        var stateHome = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(stateHome) || !Path.IsPathRooted(stateHome))
        {
            // The XDG base directory specification says to ignore a relative path.
            stateHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        }

        return Path.Combine(stateHome, "p2pshare");
    }
}
