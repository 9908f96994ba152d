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

    /// <summary>
    /// Folder for the peer's state: the hash cache (<see cref="HashCache.DatabaseFileName"/>),
    /// which several peers may share. Null keeps no state, so every start hashes every file;
    /// <c>p2pshare peer</c> uses <see cref="DefaultStateFolder"/> unless told otherwise.
    /// </summary>
    public string? StateFolder { get; init; }

    /// <summary>Most sources one download uses at once (<c>--sources</c>).</summary>
    public int MaxSources { get; init; } = 8;

    /// <summary>
    /// How long the start waits for the first scan of the shared folder before it registers with
    /// what is known so far (the rest is announced while it is hashed).
    /// </summary>
    public TimeSpan InitialScanWait { get; init; } = TimeSpan.FromSeconds(0.5);

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
