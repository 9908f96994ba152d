using System.Diagnostics;

namespace P2PShare.Peer;

/// <summary>
/// When a download asks a partial source again which chunks it holds (CHUNKS): at once at the
/// start; then, while a request is not already on its way, every <see cref="IdleRefresh"/> while
/// the source has nothing this download needs and every <see cref="BusyRefresh"/> while it is
/// busy (so the rarity of each chunk stays current); never again once the source holds the whole
/// file or turned out not to know CHUNKS.
/// </summary>
internal sealed class SourceMap
{
    /// <summary>What stands for a CHUNKS request among a connection's pending GETs.</summary>
    public const int Request = -1;

    public static readonly TimeSpan IdleRefresh = TimeSpan.FromMilliseconds(250);

    public static readonly TimeSpan BusyRefresh = TimeSpan.FromSeconds(1);

    private long _askedAt;
    private bool _final;

    /// <summary>Whether a CHUNKS request has been sent and its answer not read yet.</summary>
    public bool InFlight { get; private set; }

    public bool WantsRefresh(bool idle) =>
        !InFlight && !_final && (_askedAt == 0 || Stopwatch.GetElapsedTime(_askedAt) >= (idle ? IdleRefresh : BusyRefresh));

    public void Asked()
    {
        InFlight = true;
        _askedAt = Stopwatch.GetTimestamp();
    }

    /// <summary>The answer came: <paramref name="chunks"/>, or null from a source that does not know CHUNKS (it holds the whole file).</summary>
    public void Received(ChunkSet? chunks)
    {
        InFlight = false;
        _final = chunks is null || chunks.IsComplete;
    }
}
