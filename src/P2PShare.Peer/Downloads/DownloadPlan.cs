using System.Net;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>One peer that holds the content, and the name it shares it under (GETs must use that name).</summary>
public sealed record DownloadSource(IPEndPoint EndPoint, string FileName)
{
    /// <summary>The peer as <c>address:port</c>.</summary>
    public string Name => HostPort.FormatEndPoint(EndPoint.Address, EndPoint.Port);
}

/// <summary>What to download (one name, size and id) and the peers that hold exactly that content.</summary>
public sealed record DownloadPlan(string Name, ulong Size, ContentId Id, IReadOnlyList<DownloadSource> Sources)
{
    /// <summary>
    /// Every peer in <paramref name="results"/> that holds content <paramref name="id"/>, each
    /// with the name it shares it under (the file named <paramref name="preferredName"/> when it
    /// has several copies).
    /// </summary>
    public static IReadOnlyList<DownloadSource> SourcesOf(IReadOnlyList<PeerFiles> results, ContentId id, string preferredName)
    {
        ArgumentNullException.ThrowIfNull(results);
        var sources = new List<DownloadSource>();
        foreach (var peer in results)
        {
            var copies = peer.Files.Where(f => f.Id == id).ToList();
            if (copies.Count > 0 && !sources.Any(s => s.EndPoint.Equals(peer.EndPoint)))
            {
                var copy = copies.FirstOrDefault(f => f.Name == preferredName) ?? copies[0];
                sources.Add(new DownloadSource(peer.EndPoint, copy.Name));
            }
        }

        return sources;
    }

    /// <summary>
    /// Picks the file to fetch from search results: the files named exactly <paramref name="name"/>,
    /// or, when <paramref name="id"/> is given, the files with that id (under any name; one named
    /// <paramref name="name"/> is preferred). When several contents share the name, the one held by
    /// the most peers wins. Every peer holding the chosen content is a source, whatever it calls
    /// it. Returns null with a reason when nothing fits.
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

        var best = candidates
            .GroupBy(c => (c.File.Id, c.File.Size))
            .OrderByDescending(g => g.Any(c => c.File.Name == name))
            .ThenByDescending(g => g.Select(c => c.Peer.EndPoint).Distinct().Count())
            .First();
        var file = best.FirstOrDefault(c => c.File.Name == name).File ?? best.First().File;
        error = null;
        return new DownloadPlan(file.Name, file.Size, file.Id, SourcesOf(results, file.Id, file.Name));
    }
}
