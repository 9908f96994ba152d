using System.Diagnostics;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// When a download asks a partial source again which chunks it holds (CHUNKS): at once at the
/// start; then, while a request is not already on its way, every <see cref="IdleRefresh"/>, so
/// that the rarity of each chunk stays current (a stale map makes this download ask the few whole
/// sources for chunks its neighbours already have, which is what keeps a crowd waiting on its
/// seeder); less often for maps of many chunks, so that a map costs its source at most about
/// 16 bytes per millisecond; never again once the source holds the whole file or turned out not to
/// know CHUNKS.
/// </summary>
internal sealed class SourceMap(int chunkCount)
{
    /// <summary>What stands for a CHUNKS request among a connection's pending GETs.</summary>
    public const int Request = -1;

    public static readonly TimeSpan IdleRefresh = TimeSpan.FromMilliseconds(250);

    private readonly TimeSpan _refresh = TimeSpan.FromMilliseconds(Math.Max(IdleRefresh.TotalMilliseconds, ChunkBitmap.ByteLength(chunkCount) / 16.0));
    private long _askedAt;
    private bool _final;

    /// <summary>Whether a CHUNKS request has been sent and its answer not read yet.</summary>
    public bool InFlight { get; private set; }

    public bool WantsRefresh() =>
        !InFlight && !_final && (_askedAt == 0 || Stopwatch.GetElapsedTime(_askedAt) >= _refresh);

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
