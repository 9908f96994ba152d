using System.Buffers;
using System.Text;
using P2PShare.Protocol;

namespace P2PShare.Directory;

/// <summary>
/// Who is online and what they share. The server only talks to the registry through this
/// interface so that the in-memory one (<see cref="InMemoryPeerRegistry"/>) can later be swapped
/// for a shared store. Implementations must be safe to call from many connections at once.
/// </summary>
/// <remarks>
/// <para>
/// Limits: a registry may refuse a REGISTER or ADD that goes past one of its quotas, or a
/// search that goes past its query limits, by throwing <see cref="RequestRefusedException"/>;
/// nothing has changed then (a refused REGISTER leaves the peer's previous registration as it
/// was). The server answers such a refusal with ERROR and keeps the connection.
/// </para>
/// <para>
/// Stale tokens: <see cref="Add(RegistrationToken, IReadOnlyList{FileEntry})"/> and
/// <see cref="Remove(RegistrationToken, IReadOnlyList{string})"/> return <c>null</c> (rather than throwing) when the token is no longer
/// the peer's current registration, because that is an ordinary race (the peer reconnected and
/// registered again) and not a bug; the caller decides what to tell the client.
/// <see cref="Unregister"/> returns false for a stale token and leaves the newer registration
/// alone.
/// </para>
/// <para>
/// Result order (every implementation must follow it, so that a client sees the same answer
/// from any of them): every registered file has a position in one registry-wide sequence.
/// <see cref="Register(PeerKey, IReadOnlyList{FileEntry})"/> appends the peer's files in the
/// order given, <see cref="Add(RegistrationToken, IReadOnlyList{FileEntry})"/> appends its new
/// files in the order given, and a file that replaces one of the same name (a repeated
/// name in one request, or ADD of a registered name) is appended in the replaced one's stead
/// (it takes a new position at the end, the old one goes). A search ranks the matching files
/// (PROTOCOL.md section 8.2): first by how the query's words occur in the name (every word
/// whole, then every word at least at the start of a word, then the rest), then by the number
/// of peers with a live entry of the file's content id (more first), then by position in that sequence;
/// it takes the first <c>maxFiles</c> and groups them per peer: peers in the order of their
/// best-ranked file, each peer's files in rank order.
/// </para>
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
    /// <see cref="Register(PeerKey, IReadOnlyList{FileEntry})"/> with the entries of a REGISTER
    /// read in place (the server's path: no string or entry object per file). The default
    /// implementation makes the entries into objects.
    /// </summary>
    RegistrationToken Register(PeerKey peer, FileEntryEnumerator files) => Register(peer, files.ToList());

    /// <summary><see cref="Add(RegistrationToken, IReadOnlyList{FileEntry})"/> with the entries of an ADD read in place.</summary>
    int? Add(RegistrationToken token, FileEntryEnumerator files) => Add(token, files.ToList());

    /// <summary>
    /// Removes the named files; names that are not registered are ignored. Returns the number of
    /// files now registered for the peer, or null when <paramref name="token"/> is stale.
    /// </summary>
    int? Remove(RegistrationToken token, IReadOnlyList<string> names);

    /// <summary><see cref="Remove(RegistrationToken, IReadOnlyList{string})"/> with the names of a REMOVE read in place.</summary>
    int? Remove(RegistrationToken token, NameEnumerator names)
    {
        var list = new List<string>(names.Count);
        foreach (var name in names)
        {
            list.Add(Encoding.UTF8.GetString(name));
        }

        return Remove(token, list);
    }

    /// <summary>
    /// Forgets the registration and all its files, but only while <paramref name="token"/> is
    /// still current. Returns whether anything was removed.
    /// </summary>
    bool Unregister(RegistrationToken token);

    /// <summary>
    /// The number of files registered under <paramref name="token"/> now, or null when it is stale.
    /// </summary>
    int? FileCountOf(RegistrationToken token);

    /// <summary>
    /// The registered files whose names contain every whitespace-separated word of
    /// <paramref name="query"/>, ignoring case (see <see cref="SearchQuery"/>), grouped per peer
    /// in the order described on <see cref="IPeerRegistry"/>. Files of <paramref name="exclude"/>
    /// are left out; peers without a match are not listed; at most <paramref name="maxFiles"/>
    /// entries are returned in total.
    /// </summary>
    IReadOnlyList<PeerFiles> Search(string query, PeerKey? exclude, int maxFiles);

    /// <summary>
    /// The same search as <see cref="Search(string, PeerKey?, int)"/>, for a query given as the
    /// UTF-8 of a SEARCH frame, handing the results to <paramref name="sink"/> in the same order
    /// instead of building objects for them. A registry may do a long search in steps, giving
    /// way to other requests in between, so the task may complete later; the query must stay
    /// valid until it does. The default implementation converts the result of the other overload.
    /// </summary>
    /// <exception cref="RequestRefusedException">The query goes past a limit of the registry (its length, its words).</exception>
    ValueTask SearchAsync(ReadOnlyMemory<byte> queryUtf8, PeerKey? exclude, int maxFiles, ISearchResultSink sink, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sink);
        foreach (var peer in Search(Encoding.UTF8.GetString(queryUtf8.Span), exclude, maxFiles))
        {
            sink.BeginPeer(new PeerKey(peer.Address, peer.Port), peer.Files.Count);
            foreach (var file in peer.Files)
            {
                var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(file.Name.Length));
                try
                {
                    var length = Encoding.UTF8.GetBytes(file.Name, rented);
                    sink.AddFile(rented.AsSpan(0, length), file.Size, file.Id);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The online peers that hold content <paramref name="id"/>, in SOURCES order (PROTOCOL.md
    /// 5.14), appended to <paramref name="sources"/>: first those that share the whole file (a
    /// registered entry with that id), one per peer however many names it has it under, in the
    /// order of their first such entry, with that entry's size and <see cref="HeldSource.WholeFile"/>;
    /// then those that hold it in part (<see cref="Hold(RegistrationToken, IReadOnlyList{HoldItem})"/>),
    /// most verified chunks first, on a tie the one that announced it first. <paramref name="exclude"/>
    /// is left out; at most <paramref name="maxSources"/> are given. A registry may bound the
    /// work one call does (and so answer with the holders found within it). Returns the name of
    /// the first whole holder's entry (the name SOURCES carries), or empty when none is given.
    /// </summary>
    string Locate(ContentId id, PeerKey? exclude, int maxSources, List<LocatedSource> sources);

    /// <summary><see cref="Locate(ContentId, PeerKey?, int, List{LocatedSource})"/> as protocol records.</summary>
    IReadOnlyList<HeldSource> Locate(ContentId id, PeerKey? exclude, int maxSources)
    {
        var found = new List<LocatedSource>();
        _ = Locate(id, exclude, maxSources, found);
        return [.. found.Select(source => new HeldSource(source.Peer.Address, source.Peer.Port, source.Size, source.Held))];
    }

    /// <summary>
    /// Records what the registration's peer holds in part: for each item, <c>Held</c> verified
    /// chunks of content <c>Id</c> of <c>Size</c> bytes; <c>Held</c> 0 withdraws the content
    /// (a content not held is ignored then). A repeated id: the last item wins. Returns the
    /// number of contents the peer now holds in part, or null when <paramref name="token"/> is
    /// stale (nothing is changed then). What a peer holds goes with its registration: a
    /// REGISTER that replaces it, an unregister, starts from nothing.
    /// </summary>
    /// <exception cref="RequestRefusedException">The peer would hold more contents in part than its quota, or their memory would go past a memory quota; nothing has changed.</exception>
    int? Hold(RegistrationToken token, IReadOnlyList<HoldItem> items);

    /// <summary><see cref="Hold(RegistrationToken, IReadOnlyList{HoldItem})"/> with the items of a HOLD read in place.</summary>
    int? Hold(RegistrationToken token, HoldItemEnumerator items)
    {
        var list = new List<HoldItem>(items.Count);
        foreach (var item in items)
        {
            list.Add(item);
        }

        return Hold(token, list);
    }

    /// <summary>Number of peers registered now.</summary>
    int PeerCount { get; }

    /// <summary>Number of files registered now, over all peers.</summary>
    int FileCount { get; }
}
