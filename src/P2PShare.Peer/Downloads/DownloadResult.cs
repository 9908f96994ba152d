using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>A finished, verified download: where it landed and who sent it.</summary>
public sealed record DownloadResult(string Path, long Size, ContentId Id, string Source, TimeSpan Elapsed);
