using System.Net;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>What to download (one name, size and id) and the peers that hold exactly that content.</summary>
public sealed record DownloadPlan(string Name, ulong Size, ContentId Id, IReadOnlyList<IPEndPoint> Sources)
{
    /// <summary>
    /// Picks the file to fetch from search results: the files named exactly <paramref name="name"/>,
    /// or, when <paramref name="id"/> is given, the files with that id (under any name; one named
    /// <paramref name="name"/> is preferred). When several contents share the name, the one held by
    /// the most peers wins. Returns null with a reason when nothing fits.
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
        var chosen = best.FirstOrDefault(c => c.File.Name == name);
        var file = chosen.File ?? best.First().File;
        var sources = best.Select(c => c.Peer.EndPoint).Distinct().ToList();
        error = null;
        return new DownloadPlan(file.Name, file.Size, file.Id, sources);
    }
}
