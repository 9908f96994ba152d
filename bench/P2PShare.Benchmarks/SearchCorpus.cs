using P2PShare.LoadTest.Catalog;
using P2PShare.Protocol;

namespace P2PShare.Benchmarks;

/// <summary>
/// A deterministic directory corpus for the search benchmarks: peers with realistic file names
/// (music, episodes, films, photos, documents, installation images) built from a few hundred
/// words, about one file in twenty a popular one held by many peers, and for each peer a query
/// that finds its first own file among few others: the very corpus of the end-to-end load test
/// (bench/P2PShare.LoadTest/Catalog, whose generator is compiled into this project too).
/// </summary>
public sealed class SearchCorpus
{
    private SearchCorpus(FileEntry[][] files, string[] queries)
    {
        Files = files;
        Queries = queries;
    }

    /// <summary>Per peer, its files.</summary>
    public FileEntry[][] Files { get; }

    /// <summary>Per peer, a query that matches its first own file and few others.</summary>
    public string[] Queries { get; }

    public static SearchCorpus Build(int peers, int filesPerPeer, int seed)
    {
        var popular = SimulatedShares.BuildPopular(seed);
        var files = new FileEntry[peers][];
        var queries = new string[peers];
        for (var peer = 0; peer < peers; peer++)
        {
            files[peer] = [.. SimulatedShares.For(peer, filesPerPeer, seed, popular, out var query)];
            queries[peer] = query;
        }

        return new SearchCorpus(files, queries);
    }
}
