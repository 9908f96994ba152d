using System.Net;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>One peer that holds the content, and the name it shares it under (GETs must use that name).</summary>
public sealed record DownloadSource(IPEndPoint EndPoint, string FileName)
{
    /// <summary>The peer as <c>address:port</c>.</summary>
    public string Name => HostPort.FormatEndPoint(EndPoint.Address, EndPoint.Port);

    /// <summary>The address it counts against in per-address limits: its IPv4 address or its IPv6 /64.</summary>
    public IPAddress AddressGroup => P2PShare.Protocol.AddressGroup.Of(EndPoint.Address);

    /// <summary>
    /// Whether the peer holds only part of the content (a download in progress, listed by the
    /// directory from its HOLD): it is asked which chunks it has (CHUNKS) and only for those.
    /// </summary>
    public bool Partial { get; init; }
}

/// <summary>
/// What to download (one name, size and id) and the peers that hold exactly that content; and,
/// when other contents were found under the same name, those to try next.
/// </summary>
public sealed record DownloadPlan(string Name, ulong Size, ContentId Id, IReadOnlyList<DownloadSource> Sources)
{
    /// <summary>
    /// The largest file p2pshare can fetch: 524,287 MiB (549,754,765,312 bytes). A download needs
    /// the file's list of chunk digests, and one HASH_LIST frame (16 MiB) carries at most 524,287
    /// of them (PROTOCOL.md section 4). It is far below what the file systems in use and a
    /// <c>long</c> offset allow, and every size, offset and chunk number up to it fits in the
    /// <c>long</c> and <c>int</c> arithmetic of a download.
    /// </summary>
    public const ulong MaxFetchableSize = (ulong)MaxHashListDigests * Limits.ChunkSize;

    private const int MaxHashListDigests = (Limits.MaxControlPayload - 8) / Limits.IdLength;

    /// <summary>The id of an empty file: SHA-256 of nothing, since it has no chunks (PROTOCOL.md section 3.4).</summary>
    public static ContentId EmptyFileId { get; } = ContentHasher.Compute([]);

    /// <summary>Distinct addresses (IPv4 addresses, IPv6 /64s) that hold this content: what ranks the contents found under one name.</summary>
    public int AddressCount { get; init; }

    /// <summary>The other contents found under the same name (or id), best first: each is tried in turn when the one before has no working source.</summary>
    public IReadOnlyList<DownloadPlan> Fallbacks { get; init; } = [];

    /// <summary>
    /// Why this entry cannot be fetched, whatever its sources do, or null: its size is past
    /// <see cref="MaxFetchableSize"/>, or it claims an empty file under another id than
    /// <see cref="EmptyFileId"/> (nothing could ever be checked against such an id).
    /// </summary>
    public string? Refusal =>
        Size > MaxFetchableSize
            ? $"too large: {Size} bytes, and p2pshare fetches files of at most {MaxFetchableSize} bytes (524,287 chunks of 1 MiB, the most chunk digests one HASH_LIST carries)"
            : Size == 0 && Id != EmptyFileId
                ? $"the entry is false: an empty file's id is {EmptyFileId} (SHA-256 of nothing), not {Id}"
                : null;

    /// <summary>How the content is named in messages: <c>content ID (SIZE bytes, from N addresses)</c>.</summary>
    public string Describe() => $"content {Id} ({Size} bytes, from {AddressCount} address{(AddressCount == 1 ? "" : "es")})";

    /// <summary>
    /// Every peer in <paramref name="results"/> that holds this content (this id and size), each
    /// with the name it shares it under (<see cref="Name"/> when it has several copies), ordered
    /// so that addresses take turns: the first source of each address in the order the addresses
    /// first appear, then the second of each, and so on. One address listed under many ports
    /// thus never fills the front of the list.
    /// </summary>
    public IReadOnlyList<DownloadSource> SourcesIn(IReadOnlyList<PeerFiles> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var found = new List<DownloadSource>();
        var seen = new HashSet<IPEndPoint>();
        foreach (var peer in results)
        {
            var copies = peer.Files.Where(f => f.Id == Id && f.Size == Size).ToList();
            if (copies.Count == 0 || !seen.Add(peer.EndPoint))
            {
                continue;
            }

            var copy = copies.FirstOrDefault(f => f.Name == Name) ?? copies[0];
            found.Add(new DownloadSource(peer.EndPoint, copy.Name));
        }

        return TakeTurns(found);
    }

    /// <summary>
    /// Every peer in a SOURCES answer (a LOCATE of this content) that holds this content at this
    /// size: those holding the whole file first, in the order listed, then those holding part of
    /// it (<see cref="DownloadSource.Partial"/>) in random order, so that the downloaders of a
    /// crowd spread over each other instead of all taking the first few; addresses taking turns
    /// as in <see cref="SourcesIn(IReadOnlyList{PeerFiles})"/>. A GET by id is served under any
    /// name, so each is asked under <see cref="Name"/>.
    /// </summary>
    public IReadOnlyList<DownloadSource> SourcesIn(IReadOnlyList<HeldSource> held, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(held);
        var seen = new HashSet<IPEndPoint>();
        var whole = new List<DownloadSource>();
        var partial = new List<DownloadSource>();
        foreach (var source in held)
        {
            if (source.Size != Size || source.Held == 0 || !seen.Add(source.EndPoint))
            {
                continue;
            }

            (source.IsWhole ? whole : partial).Add(new DownloadSource(source.EndPoint, Name) { Partial = !source.IsWhole });
        }

        var shuffled = partial.ToArray();
        (random ?? Random.Shared).Shuffle(shuffled);
        return TakeTurns([.. whole, .. shuffled]);
    }

    /// <summary>
    /// <paramref name="found"/> reordered so that addresses take turns: the first source of each
    /// address in the order the addresses first appear, then the second of each, and so on.
    /// </summary>
    private static List<DownloadSource> TakeTurns(List<DownloadSource> found)
    {
        var addresses = new List<Queue<DownloadSource>>();
        var byAddress = new Dictionary<IPAddress, Queue<DownloadSource>>();
        foreach (var source in found)
        {
            if (!byAddress.TryGetValue(source.AddressGroup, out var queue))
            {
                byAddress[source.AddressGroup] = queue = new Queue<DownloadSource>();
                addresses.Add(queue);
            }

            queue.Enqueue(source);
        }

        var sources = new List<DownloadSource>(found.Count);
        while (sources.Count < found.Count)
        {
            foreach (var queue in addresses)
            {
                if (queue.TryDequeue(out var source))
                {
                    sources.Add(source);
                }
            }
        }

        return sources;
    }

    /// <summary>
    /// Picks the content to fetch from a LOCATE's answer (a download by id): the sizes the id is
    /// held at, those with a whole holder first, then by the distinct addresses that hold them
    /// (a peer can claim any size for an id, and only the chunk digests tell the truth), the
    /// others as <see cref="Fallbacks"/>. Saved as <paramref name="name"/> when given, else under
    /// the name the directory gave (<see cref="SourcesMessage.FileName"/>), else under the id in
    /// hex. Returns null with a reason when no peer holds the id.
    /// </summary>
    public static DownloadPlan? Choose(SourcesMessage located, string? name, out string? error)
    {
        ArgumentNullException.ThrowIfNull(located);
        var savedName = name ?? (located.FileName.Length > 0 ? located.FileName : located.Id.ToString());
        var plans = located.Sources
            .Where(source => source.Held != 0)
            .GroupBy(source => source.Size)
            .Select(g => (
                Content: new DownloadPlan(savedName, g.Key, located.Id, []) { AddressCount = g.Select(s => P2PShare.Protocol.AddressGroup.Of(s.Address)).Distinct().Count() },
                Whole: g.Any(s => s.IsWhole)))
            .OrderBy(c => c.Content.Refusal is not null)
            .ThenByDescending(c => c.Whole)
            .ThenByDescending(c => c.Content.AddressCount)
            .Select(c => c.Content with { Sources = c.Content.SourcesIn(located.Sources) })
            .ToList();
        if (plans.Count == 0)
        {
            error = $"no online peer holds content {located.Id}";
            return null;
        }

        error = null;
        return plans[0] with { Fallbacks = plans[1..] };
    }

    /// <summary>
    /// Picks the file to fetch from search results: the files named exactly <paramref name="name"/>,
    /// or, when <paramref name="id"/> is given, the files with that id (under any name; one named
    /// <paramref name="name"/> is preferred). The contents found (an id and a size) are ranked by
    /// the number of distinct addresses that hold them, never by ports, so one address cannot
    /// take a name over by registering it many times; on a tie the one listed first wins. Entries
    /// that cannot be fetched (<see cref="Refusal"/>) come last. The best is returned, with the
    /// others as its <see cref="Fallbacks"/>; every peer holding a content is one of its sources,
    /// whatever it calls it. Returns null with a reason when nothing fits.
    /// </summary>
    public static DownloadPlan? Choose(IReadOnlyList<PeerFiles> results, string name, ContentId? id, out string? error)
    {
        ArgumentNullException.ThrowIfNull(results);
        var candidates = results
            .SelectMany(peer => peer.Files.Select(file => (Peer: peer, File: file)))
            .Where(c => id is { } wanted ? c.File.Id == wanted : c.File.Name == name)
            .ToList();
        if (candidates.Count == 0)
        {
            error = id is { } missing
                ? $"no online peer shares a file with id {missing}"
                : $"no online peer shares a file named \"{FileName.Printable(name)}\"";
            return null;
        }

        // GroupBy keeps the order in which the contents first appear, and OrderBy is stable.
        var ranked = candidates
            .GroupBy(c => (c.File.Id, c.File.Size))
            .Select(g =>
            {
                var addresses = g.Select(c => P2PShare.Protocol.AddressGroup.Of(c.Peer.Address)).Distinct().Count();
                var content = new DownloadPlan(name, g.Key.Size, g.Key.Id, []) { AddressCount = addresses };
                return (Content: content, Named: g.Any(c => c.File.Name == name), FirstName: g.First().File.Name);
            })
            .OrderBy(c => c.Content.Refusal is not null)
            .ThenByDescending(c => c.Named)
            .ThenByDescending(c => c.Content.AddressCount)
            .ToList();

        // Saved under the best content's name whichever content lands: with an id, a peer's own
        // name for it; otherwise the name asked for.
        var savedName = ranked[0].Named ? name : ranked[0].FirstName;
        var plans = ranked
            .Select(c => c.Content with { Name = savedName })
            .Select(c => c with { Sources = c.SourcesIn(results) })
            .ToList();
        error = null;
        return plans[0] with { Fallbacks = plans[1..] };
    }
}
