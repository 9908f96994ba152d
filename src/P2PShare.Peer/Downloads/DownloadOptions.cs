using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// How a <see cref="Downloader"/>'s downloads run: how many sources and requests, the deadlines,
/// how far receiving runs ahead of writing, and where verified chunks are offered to others.
/// Read once by each <see cref="SwarmDownload"/>; every default is here and only here.
/// </summary>
public sealed record DownloadOptions
{
    /// <summary>Most sources used at once (<c>--sources</c>).</summary>
    public int MaxSources { get; init; } = 8;

    /// <summary>
    /// GET requests (1 MiB each) kept in flight for one download, shared among its sources: all
    /// of them on a single source, fewer per source with more sources, but at least one each. A
    /// download from 4 peers with 4 GETs in flight on each ran ~10% slower on the reference
    /// machine than with one on each: the bytes queued beyond what the downloader can take only
    /// keep more senders busy on the same cores (BENCHMARKS.md, row 2).
    /// </summary>
    public int RequestsInFlight { get; init; } = 4;

    /// <summary>
    /// A lone source that delivers at least this many bytes per second (measured over 8 MiB)
    /// gets a second connection for the rest of the file, when at least
    /// <see cref="SecondConnectionMinChunks"/> chunks are left; null never opens one. The
    /// default, 256 MiB/s, is above what one connection carries over gigabit Ethernet, where a
    /// second one gains nothing, and below what one carries over loopback or 10 GbE, where it
    /// puts a second core to work: a 2 GiB download over loopback ran 8–10% faster with two
    /// (BENCHMARKS.md, row 1).
    /// </summary>
    public long? SecondConnectionRate { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// Chunks (MiB) that must be left for a second connection to a lone source. A second
    /// connection shows as a second upload at the source, and on a smaller file it would save
    /// less than ~25 ms (a tenth of what the rest takes at 1 GB/s), so only large files get one.
    /// </summary>
    internal int SecondConnectionMinChunks { get; init; } = 256;

    /// <summary>
    /// Most chunks a file may have for the connection its hash list came over to serve its
    /// chunks too, saving a connection's set-up, which may take longer than a small file's whole
    /// transfer. Frames on it may take the hash list's deadline (<see cref="StallTimeout"/> plus
    /// the list at <see cref="SourceLimits.MinRate"/>): at most this many digests longer than on
    /// a connection of its own. 0 opens a connection of its own for every source.
    /// </summary>
    internal int HashListConnectionMaxChunks { get; init; } = 16;

    /// <summary>
    /// Most chunks received but not yet verified and written, per source (each holds a 1 MiB
    /// buffer), so receiving runs ahead of hashing and writing by this much.
    /// </summary>
    public int ChunksAheadPerSource { get; init; } = 4;

    /// <summary>
    /// Whether whole chunks are written to the <c>.part</c> with direct I/O where the file system
    /// allows it; false (the default) writes through the page cache with write-behind (see
    /// <see cref="PartFile"/>). <c>get --direct-io</c>.
    /// </summary>
    public bool DirectWrites { get; init; }

    /// <summary>
    /// Whether a finished download's data is flushed to the device (<c>fdatasync</c>) before it
    /// takes its name, and its folder (<c>fsync</c>) after, so that it survives a power loss once
    /// the download has ended. <c>get --fsync</c>.
    /// </summary>
    public bool SyncToDisk { get; init; }

    /// <summary>How often, at most, a running download rewrites its resume record (it also does when it stops).</summary>
    public TimeSpan ResumeRecordInterval { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A source that sends nothing for this long is dropped.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often a running download asks again for new sources while it has fewer than
    /// <see cref="MaxSources"/> (<see cref="FullResearchSlowdown"/> times less often with all of
    /// them). The peer and <c>get</c> ask with a LOCATE, one lookup by id, cheap enough to ask
    /// twice a second: in a crowd, each downloader that verifies its first chunk becomes a source,
    /// and the sooner the others find it, the fewer chunks they take from the seeder that the
    /// crowd already holds.
    /// </summary>
    public TimeSpan ResearchInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How many times less often a download that has all <see cref="MaxSources"/> sources asks for new ones.</summary>
    public const int FullResearchSlowdown = 4;

    /// <summary>
    /// How long a source dropped for a failure that is not a lie (lost, too slow, refusing) is
    /// left alone before a lookup that still lists it may bring it back; doubled with each drop.
    /// </summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The minimum rate sources must deliver at, and how many one address may supply.</summary>
    public SourceLimits SourceLimits { get; init; } = new();

    /// <summary>
    /// Where running downloads offer their verified chunks to other downloaders (the peer's
    /// upload server serves them from there); null offers nothing (<c>p2pshare get</c>, which
    /// serves nobody).
    /// </summary>
    public HeldDownloads? Holdings { get; init; }

    /// <summary>
    /// How long a finished download is still served by content id from the file it was assembled
    /// in, waiting for <see cref="IsServedElsewhere"/> to say the share serves it: a peer sharing
    /// its downloads folder hashes a new file before it lists it, and the crowd should not lose a
    /// source meanwhile. Zero stops at once (<c>--no-share-downloads</c>).
    /// </summary>
    public TimeSpan FinishedServeTime { get; init; } = DefaultFinishedServeTime;

    /// <summary>The default <see cref="FinishedServeTime"/>.</summary>
    public static readonly TimeSpan DefaultFinishedServeTime = TimeSpan.FromSeconds(60);

    /// <summary>Whether the peer serves a content from its shared files now; a finished download held for others is then let go.</summary>
    public Func<ContentId, bool>? IsServedElsewhere { get; init; }
}
