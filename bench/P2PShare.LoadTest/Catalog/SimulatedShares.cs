using P2PShare.Protocol;

namespace P2PShare.LoadTest.Catalog;

/// <summary>
/// The files one simulated peer shares: deterministic per (seed, peer), about one in twenty a
/// popular file held by many peers (picked with a skewed, Zipf-like preference), the rest the
/// peer's own. Shared by the load test and the search micro-benchmarks (linked into
/// bench/P2PShare.Benchmarks) so both measure the same corpus.
/// </summary>
internal static class SimulatedShares
{
    /// <summary>Files held by many peers.</summary>
    public const int PopularCount = 1_000;

    /// <summary>The popular files every peer picks from.</summary>
    public static FileEntry[] BuildPopular(int seed)
    {
        var random = new Random(seed);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var files = new List<FileEntry>(PopularCount);
        while (files.Count < PopularCount)
        {
            var file = NameGenerator.Popular(random);
            if (names.Add(file.Name))
            {
                files.Add(new FileEntry(file.Name, file.Size, RandomId(random)));
            }
        }

        return [.. files];
    }

    /// <summary>
    /// Peer <paramref name="peer"/>'s files; <paramref name="query"/> is a query that finds its
    /// first own file among few others.
    /// </summary>
    public static List<FileEntry> For(int peer, int filesPerPeer, int seed, FileEntry[] popular, out string query)
    {
        var random = new Random(unchecked((seed * 7919) + peer + 1));
        var files = new List<FileEntry>(filesPerPeer);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var popularCount = Math.Min(filesPerPeer, random.Next((filesPerPeer / 10) + 1));
        while (files.Count < popularCount)
        {
            var pick = popular[(int)(popular.Length * Math.Pow(random.NextDouble(), 3))];
            if (names.Add(pick.Name))
            {
                files.Add(pick);
            }
        }

        query = "";
        while (files.Count < filesPerPeer)
        {
            var file = NameGenerator.Everyday(random);
            if (names.Add(file.Name))
            {
                files.Add(new FileEntry(file.Name, file.Size, RandomId(random)));
                if (files.Count == popularCount + 1)
                {
                    query = file.Query;
                }
            }
        }

        return files;
    }

    private static ContentId RandomId(Random random)
    {
        Span<byte> bytes = stackalloc byte[Limits.IdLength];
        random.NextBytes(bytes);
        return new ContentId(bytes);
    }
}
