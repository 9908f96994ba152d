using System.Globalization;
using P2PShare.Protocol;

namespace P2PShare.LoadTest.Catalog;

/// <summary>
/// <c>--catalog music</c>: a music-sharing directory. Names like
/// <c>artist123/album4/artist123 - title4567 live.mp3</c>:
/// <list type="bullet">
/// <item>artists: 20,000, Zipf-like (s = 0.8: the most popular has ~2.4% of the tracks, half of
/// the tracks are by ~1,200 artists), numbered by a fixed shuffle of their rank;</item>
/// <item>albums: 1-12, uniform; titles: 100,000, Zipf-like (s = 0.8, the most common ~1.7%),
/// independent of the artist (covers, common titles);</item>
/// <item>suffix word: none 70%, live 8%, remix 7%, demo 5%, acoustic 4%, edit 3%, remastered 3%;
/// extension, one per album: mp3 55%, flac 25%, m4a 12%, ogg 8%;</item>
/// <item>a peer's own files come by album: an artist and album, then 1-12 of its tracks;</item>
/// <item>a tenth of each peer's files are popular tracks: picked (Zipf-like, s = 0.8) from 2,000
/// tracks made the same way, so a hit is held by thousands of peers.</item>
/// </list>
/// The content id and size follow from the name (<see cref="CatalogFiles.FromName"/>): peers
/// that share a name share one content.
/// <para>
/// Queries, every number drawn afresh from the distributions above (two of the ~2·10⁹
/// artist-title pairs seldom come up twice): 50% <c>artistN titleM</c>, 10% <c>artistN</c>,
/// 5% <c>titleM</c>, 15% <c>artistN albumK</c>, 10% <c>artistN titleM EXT</c>, 5%
/// <c>titleM SUFFIX</c>, 5% <c>artistN titleM SUFFIX</c>. Most pairs were never recorded by
/// anybody, so most answers are small or empty; one-word queries for a popular artist fill the
/// 1000-entry answer. Matching is by substring, so <c>artist12</c> also finds artist120-129 and
/// artist1200-1299: that is what the protocol's rule gives a user, and part of the load.
/// </para>
/// </summary>
internal sealed class MusicCatalog : ICatalogGenerator
{
    private const long MiB = 1024 * 1024;
    private const int PopularCount = 2_000;

    private static readonly (string Word, int Weight)[] Suffixes =
    [
        ("", 70), ("live", 8), ("remix", 7), ("demo", 5), ("acoustic", 4), ("edit", 3), ("remastered", 3),
    ];

    private static readonly string[] SuffixWords = ["live", "remix", "demo", "acoustic", "edit", "remastered"];

    private static readonly (string Word, int Weight)[] Extensions = [("mp3", 55), ("flac", 25), ("m4a", 12), ("ogg", 8)];

    private readonly Zipf _artists = new(20_000, 0.8);
    private readonly Zipf _titles = new(100_000, 0.8);
    private readonly Zipf _popularPick = new(PopularCount, 0.8);
    private readonly FileEntry[] _popular;
    private readonly int _seed;

    public MusicCatalog(int seed)
    {
        _seed = seed;
        var random = new Random(seed);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var popular = new List<FileEntry>(PopularCount);
        while (popular.Count < PopularCount)
        {
            CatalogFiles.AddNew(popular, names, Track(random, _artists.Next(random), 1 + random.Next(12), CatalogFiles.Pick(random, Extensions), out _));
        }

        _popular = [.. popular];
    }

    public string Kind => "music";

    public List<FileEntry> FilesFor(int peer, int filesPerPeer, out string ownQuery)
    {
        var random = new Random(unchecked((_seed * 7919) + peer + 1));
        var files = new List<FileEntry>(filesPerPeer);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var popularCount = filesPerPeer / 10;
        while (files.Count < popularCount)
        {
            CatalogFiles.AddNew(files, names, _popular[_popularPick.Next(random)]);
        }

        ownQuery = "";
        while (files.Count < filesPerPeer)
        {
            // An album: one artist, album number and format, several of its tracks.
            var artist = _artists.Next(random);
            var album = 1 + random.Next(12);
            var extension = CatalogFiles.Pick(random, Extensions);
            for (var tracks = 1 + random.Next(12); tracks > 0 && files.Count < filesPerPeer; tracks--)
            {
                var entry = Track(random, artist, album, extension, out var query);
                if (names.Add(entry.Name))
                {
                    files.Add(entry);
                    if (ownQuery.Length == 0)
                    {
                        ownQuery = query;
                    }
                }
            }
        }

        return files;
    }

    public string NextQuery(Random random)
    {
        var roll = random.Next(100);
        var artist = Artist(_artists.Next(random));
        var title = Title(_titles.Next(random));
        return roll switch
        {
            < 50 => $"{artist} {title}",
            < 60 => artist,
            < 65 => title,
            < 80 => string.Create(CultureInfo.InvariantCulture, $"{artist} album{1 + random.Next(12)}"),
            < 90 => $"{artist} {title} {CatalogFiles.Pick(random, Extensions)}",
            < 95 => $"{title} {CatalogFiles.Pick(random, SuffixWords)}",
            _ => $"{artist} {title} {CatalogFiles.Pick(random, SuffixWords)}",
        };
    }

    private FileEntry Track(Random random, int artistRank, int album, string extension, out string query)
    {
        var artist = Artist(artistRank);
        var title = Title(_titles.Next(random));
        var suffix = CatalogFiles.Pick(random, Suffixes);
        var name = string.Create(CultureInfo.InvariantCulture, $"{artist}/album{album}/{artist} - {title}{(suffix.Length == 0 ? "" : " ")}{suffix}.{extension}");
        query = $"{artist} {title}";
        return extension == "flac"
            ? CatalogFiles.FromName(name, 20 * MiB, 60 * MiB)
            : CatalogFiles.FromName(name, 3 * MiB, 12 * MiB);
    }

    private string Artist(int rank) => string.Create(CultureInfo.InvariantCulture, $"artist{_artists.Label(rank)}");

    private string Title(int rank) => string.Create(CultureInfo.InvariantCulture, $"title{_titles.Label(rank)}");
}
