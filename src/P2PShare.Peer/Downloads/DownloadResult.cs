using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// A finished, verified download: where it landed, who sent what, how much was already there,
/// and the <c>.part</c> it was assembled in (and resumed from, when some chunks were).
/// </summary>
public sealed record DownloadResult(string Path, long Size, ContentId Id, IReadOnlyList<SourceProgress> Sources, TimeSpan Elapsed, int ResumedChunks, string PartPath)
{
    /// <summary>The sources that sent at least one chunk, as <c>address:port</c>, comma-separated.</summary>
    public string SourceNames => string.Join(", ", Sources.Where(s => s.ChunksReceived > 0).Select(s => s.Source));
}
