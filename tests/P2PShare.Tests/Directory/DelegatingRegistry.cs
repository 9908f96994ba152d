using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Tests.Directory;

/// <summary>An in-memory registry whose search a test can replace (to fail, to take time, ...).</summary>
internal abstract class DelegatingRegistry : IPeerRegistry
{
    protected InMemoryPeerRegistry Inner { get; } = new();

    public int PeerCount => Inner.PeerCount;

    public int FileCount => Inner.FileCount;

    public RegistrationToken Register(PeerKey peer, IReadOnlyList<FileEntry> files) => Inner.Register(peer, files);

    public int? Add(RegistrationToken token, IReadOnlyList<FileEntry> files) => Inner.Add(token, files);

    public int? Remove(RegistrationToken token, IReadOnlyList<string> names) => Inner.Remove(token, names);

    public bool Unregister(RegistrationToken token) => Inner.Unregister(token);

    public int? FileCountOf(RegistrationToken token) => Inner.FileCountOf(token);

    public string Locate(ContentId id, PeerKey? exclude, int maxSources, List<LocatedSource> sources) => Inner.Locate(id, exclude, maxSources, sources);

    public int? Hold(RegistrationToken token, IReadOnlyList<HoldItem> items) => Inner.Hold(token, items);

    public abstract IReadOnlyList<PeerFiles> Search(string query, PeerKey? exclude, int maxFiles);
}
