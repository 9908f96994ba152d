using P2PShare.Protocol;

namespace P2PShare.LoadTest.Catalog;

/// <summary>
/// A kind of directory catalogue: what each simulated peer shares, and the queries users of
/// such a directory would type. Deterministic per seed; safe to use from several threads (each
/// caller brings its own <see cref="Random"/>).
/// </summary>
internal interface ICatalogGenerator
{
    /// <summary>The name of the kind, as given to <c>--catalog</c>.</summary>
    string Kind { get; }

    /// <summary>
    /// Peer <paramref name="peer"/>'s files, always the same for the same seed;
    /// <paramref name="ownQuery"/> is a query for one of its own files (the pool of repeated
    /// queries is made of these).
    /// </summary>
    List<FileEntry> FilesFor(int peer, int filesPerPeer, out string ownQuery);

    /// <summary>A fresh query drawn from the catalogue's query mix (the diverse queries).</summary>
    string NextQuery(Random random);
}

/// <summary>The catalogue kinds of <c>--catalog</c>.</summary>
internal static class CatalogGenerators
{
    public const string Kinds = "mixed, music or office";

    public static ICatalogGenerator Create(string kind, int seed) => kind switch
    {
        "mixed" => new MixedCatalog(seed),
        "music" => new MusicCatalog(seed),
        "office" => new OfficeCatalog(seed),
        _ => throw new ArgumentException($"--catalog is {Kinds}, not \"{kind}\""),
    };
}

/// <summary>
/// The original catalogue (<see cref="SimulatedShares"/>: music, TV episodes, photos, documents,
/// about one file in twenty a popular film, ISO or hit held by many peers). Its diverse queries
/// are the queries of freshly generated everyday names (an artist and a title word, a show and
/// an episode, a place and a photo number, a document kind, subject and month).
/// </summary>
internal sealed class MixedCatalog(int seed) : ICatalogGenerator
{
    private readonly FileEntry[] _popular = SimulatedShares.BuildPopular(seed);

    public string Kind => "mixed";

    public List<FileEntry> FilesFor(int peer, int filesPerPeer, out string ownQuery) =>
        SimulatedShares.For(peer, filesPerPeer, seed, _popular, out ownQuery);

    public string NextQuery(Random random) => NameGenerator.Everyday(random).Query;
}
