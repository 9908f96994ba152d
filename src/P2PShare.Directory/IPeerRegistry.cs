using P2PShare.Protocol;

namespace P2PShare.Directory;

/// <summary>
/// Who is online and what they share. The server only talks to the registry through this
/// interface so that the in-memory one (<see cref="InMemoryPeerRegistry"/>) can later be swapped
/// for a shared store. Implementations must be safe to call from many connections at once.
/// </summary>
/// <remarks>
/// Stale tokens: <see cref="Add"/> and <see cref="Remove"/> return <c>null</c> (rather than
/// throwing) when the token is no longer the peer's current registration, because that is an
/// ordinary race (the peer reconnected and registered again) and not a bug; the caller decides
/// what to tell the client. <see cref="Unregister"/> returns false for a stale token and leaves
/// the newer registration alone.
/// </remarks>
public interface IPeerRegistry
{
    /// <summary>
    /// Registers <paramref name="peer"/> with exactly <paramref name="files"/>, replacing any
    /// previous registration of that key (whose token becomes stale). When a name occurs more
    /// than once, the last entry wins.
    /// </summary>
    RegistrationToken Register(PeerKey peer, IReadOnlyList<FileEntry> files);

    /// <summary>
    /// Adds <paramref name="files"/>; an entry replaces a registered file of the same name (the
    /// last one wins within the list). Returns the number of files now registered for the peer,
    /// or null when <paramref name="token"/> is stale (nothing is changed then).
    /// </summary>
    int? Add(RegistrationToken token, IReadOnlyList<FileEntry> files);

    /// <summary>
    /// Removes the named files; names that are not registered are ignored. Returns the number of
    /// files now registered for the peer, or null when <paramref name="token"/> is stale.
    /// </summary>
    int? Remove(RegistrationToken token, IReadOnlyList<string> names);

    /// <summary>
    /// Forgets the registration and all its files, but only while <paramref name="token"/> is
    /// still current. Returns whether anything was removed.
    /// </summary>
    bool Unregister(RegistrationToken token);

    /// <summary>
    /// The registered files whose names contain every whitespace-separated word of
    /// <paramref name="query"/>, ignoring case (see <see cref="SearchQuery"/>), grouped per peer.
    /// Files of <paramref name="exclude"/> are left out; peers without a match are not listed; at
    /// most <paramref name="maxFiles"/> entries are returned in total.
    /// </summary>
    IReadOnlyList<PeerFiles> Search(string query, PeerKey? exclude, int maxFiles);

    /// <summary>Number of peers registered now.</summary>
    int PeerCount { get; }

    /// <summary>Number of files registered now, over all peers.</summary>
    int FileCount { get; }
}
