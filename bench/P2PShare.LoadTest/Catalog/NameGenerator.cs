using System.Globalization;

namespace P2PShare.LoadTest.Catalog;

/// <summary>A generated shared file: its name, a plausible size, and a query that finds it among few others.</summary>
internal readonly record struct GeneratedFile(string Name, ulong Size, string Query);

/// <summary>
/// Realistic file names of the kinds people share (music, TV episodes and films, photos,
/// documents, installation images), built from <see cref="Words"/> with a caller's seeded
/// <see cref="Random"/> so every run registers the same catalogue.
/// </summary>
/// <remarks>
/// Each name comes with a query of two or three of its words chosen so that it matches only a
/// few of the million names (an artist and a title word, a show and its episode, a photo number
/// and its folder): a search benchmark should measure lookups, not the encoding of 1000-entry
/// answers.
/// </remarks>
internal static class NameGenerator
{
    private const long MiB = 1024 * 1024;

    /// <summary>A file of the everyday kinds: mostly music, then episodes, photos and documents.</summary>
    public static GeneratedFile Everyday(Random random)
    {
        var roll = random.Next(100);
        return roll switch
        {
            < 45 => Music(random),
            < 65 => Episode(random),
            < 85 => Photo(random),
            _ => Document(random),
        };
    }

    /// <summary>A file that many peers hold: installation images, films and hit songs.</summary>
    public static GeneratedFile Popular(Random random)
    {
        var roll = random.Next(100);
        return roll switch
        {
            < 40 => DiskImage(random),
            < 70 => Film(random),
            _ => Music(random),
        };
    }

    private static GeneratedFile Music(Random random)
    {
        var first = Pick(random, Words.FirstNames);
        var last = Pick(random, Words.LastNames);
        var album = $"{Pick(random, Words.Titles)} {Pick(random, Words.Titles)}";
        var title = Pick(random, Words.Titles);
        var title2 = Pick(random, Words.Titles);
        var track = random.Next(1, 17);
        var name = string.Create(CultureInfo.InvariantCulture, $"Music/{first} {last} - {album} - {track:00} - {title} {title2}.mp3");
        return new GeneratedFile(name, Between(random, 3 * MiB, 12 * MiB), $"{first} {last} {title}");
    }

    private static GeneratedFile Episode(Random random)
    {
        // 2,000 shows from a fixed part of the title combinations, so that episodes repeat shows.
        var show = random.Next(2_000);
        var showName = $"{Words.Titles[show % Words.Titles.Length]}.{Words.Titles[show / Words.Titles.Length * 7 % Words.Titles.Length]}";
        var season = random.Next(1, 9);
        var episode = random.Next(1, 13);
        var code = string.Create(CultureInfo.InvariantCulture, $"S{season:00}E{episode:00}");
        var name = $"TV/{showName}.{code}.{Pick(random, Words.Qualities)}.{Pick(random, Words.Sources)}.{Pick(random, Words.Codecs)}.mkv";
        return new GeneratedFile(name, Between(random, 300 * MiB, 4096 * MiB), $"{showName} {code}");
    }

    private static GeneratedFile Film(Random random)
    {
        var title = $"{Pick(random, Words.Titles)}.{Pick(random, Words.Titles)}";
        var year = random.Next(1975, 2026);
        var name = string.Create(CultureInfo.InvariantCulture, $"Movies/{title}.{year}.{Pick(random, Words.Qualities)}.{Pick(random, Words.Sources)}.{Pick(random, Words.Codecs)}.mkv");
        return new GeneratedFile(name, Between(random, 700 * MiB, 8192 * MiB), string.Create(CultureInfo.InvariantCulture, $"{title} {year}"));
    }

    private static GeneratedFile Photo(Random random)
    {
        var year = random.Next(2008, 2026);
        var place = Pick(random, Words.Places);
        var number = random.Next(10_000);
        var name = string.Create(CultureInfo.InvariantCulture, $"Photos/{year}/{place}/IMG_{number:0000}.jpg");
        return new GeneratedFile(name, Between(random, MiB + MiB / 2, 8 * MiB), string.Create(CultureInfo.InvariantCulture, $"{place} IMG_{number:0000}"));
    }

    private static GeneratedFile Document(Random random)
    {
        var kind = Pick(random, Words.DocumentKinds);
        var subject = Pick(random, Words.Titles);
        var month = string.Create(CultureInfo.InvariantCulture, $"{random.Next(2015, 2026)}-{random.Next(1, 13):00}");
        var name = $"Documents/{kind} {subject} {Pick(random, Words.LastNames)} {month}.{Pick(random, Words.DocumentExtensions)}";
        return new GeneratedFile(name, Between(random, 20 * 1024, 5 * MiB), $"{kind} {subject} {month}");
    }

    private static GeneratedFile DiskImage(Random random)
    {
        var distro = Pick(random, Words.Distros);
        var version = string.Create(CultureInfo.InvariantCulture, $"{random.Next(8, 25)}.{random.Next(0, 5)}");
        var name = $"ISO/{distro}-{version}-{Pick(random, Words.Editions)}-{Pick(random, Words.Architectures)}.iso";
        return new GeneratedFile(name, Between(random, 400 * MiB, 5000 * MiB), $"{distro} {version}");
    }

    private static string Pick(Random random, string[] words) => words[random.Next(words.Length)];

    private static ulong Between(Random random, long min, long max) => (ulong)random.NextInt64(min, max);
}
