using P2PShare.Protocol;

namespace P2PShare.Directory;

/// <summary>
/// Receives search results as a registry produces them, without a <see cref="PeerFiles"/> or
/// <see cref="FileEntry"/> object per result: the directory server writes them straight into a
/// RESULTS frame (<see cref="ResultsFrameBuilder"/>). Calls come in result order: one
/// <see cref="BeginPeer(PeerKey, int)"/>, then exactly <c>fileCount</c> <see cref="AddFile"/> calls for that
/// peer, then the next peer. The spans are only valid during the call, and the calls may come
/// while the registry holds a lock: a sink only copies what it is given and must not call back
/// into the registry.
/// </summary>
public interface ISearchResultSink
{
    void BeginPeer(PeerKey peer, int fileCount);

    /// <summary>
    /// <see cref="BeginPeer(PeerKey, int)"/>, with the peer's address also given as the 4 or 16
    /// bytes RESULTS carry, which the registry keeps at hand: a sink that writes bytes need not
    /// get them from the address object again.
    /// </summary>
    void BeginPeer(PeerKey peer, ReadOnlySpan<byte> address, int fileCount) => BeginPeer(peer, fileCount);

    void AddFile(ReadOnlySpan<byte> utf8Name, ulong size, in ContentId id);
}
