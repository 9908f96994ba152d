using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>A finished, verified download: where it landed, who sent what, and how much was already there.</summary>
public sealed record DownloadResult(string Path, long Size, ContentId Id, IReadOnlyList<SourceProgress> Sources, TimeSpan Elapsed, int ResumedChunks)
{
    /// <summary>The sources that sent at least one chunk, as <c>address:port</c>, comma-separated.</summary>
    public string SourceNames => string.Join(", ", Sources.Where(s => s.ChunksReceived > 0).Select(s => s.Source));
}
