using System.Globalization;
using P2PShare.Protocol;

namespace P2PShare.Benchmarks;

/// <summary>
/// A deterministic directory corpus for the search benchmarks: peers with realistic file names
/// (music, episodes, films, photos, documents, installation images) built from a few hundred
/// words, about one file in twenty a popular one held by many peers, and for each peer a query
/// that finds its first own file among few others (the same kinds of names and queries as the
/// end-to-end load test in bench/P2PShare.LoadTest).
/// </summary>
public sealed class SearchCorpus
{
    private const long MiB = 1024 * 1024;
    private const int PopularFiles = 2_000;

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
        var popular = BuildPopular(seed);
        var files = new FileEntry[peers][];
        var queries = new string[peers];
        for (var peer = 0; peer < peers; peer++)
        {
            var random = new Random(unchecked((seed * 7919) + peer + 1));
            var list = new List<FileEntry>(filesPerPeer);
            var names = new HashSet<string>(StringComparer.Ordinal);
            var popularCount = Math.Min(filesPerPeer, random.Next((filesPerPeer / 10) + 1));
            while (list.Count < popularCount)
            {
                var pick = popular[(int)(PopularFiles * Math.Pow(random.NextDouble(), 3))];
                if (names.Add(pick.Name))
                {
                    list.Add(pick);
                }
            }

            while (list.Count < filesPerPeer)
            {
                var (name, size, query) = Everyday(random);
                if (names.Add(name))
                {
                    list.Add(new FileEntry(name, size, RandomId(random)));
                    if (list.Count == popularCount + 1)
                    {
                        queries[peer] = query;
                    }
                }
            }

            files[peer] = [.. list];
        }

        return new SearchCorpus(files, queries);
    }

    private static FileEntry[] BuildPopular(int seed)
    {
        var random = new Random(seed);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var files = new List<FileEntry>(PopularFiles);
        while (files.Count < PopularFiles)
        {
            var roll = random.Next(100);
            var (name, size, _) = roll < 40 ? DiskImage(random) : roll < 70 ? Film(random) : Music(random);
            if (names.Add(name))
            {
                files.Add(new FileEntry(name, size, RandomId(random)));
            }
        }

        return [.. files];
    }

    private static (string Name, ulong Size, string Query) Everyday(Random random)
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

    private static (string, ulong, string) Music(Random random)
    {
        var first = Pick(random, FirstNames);
        var last = Pick(random, LastNames);
        var album = $"{Pick(random, Titles)} {Pick(random, Titles)}";
        var title = Pick(random, Titles);
        var title2 = Pick(random, Titles);
        var track = random.Next(1, 17);
        var name = string.Create(CultureInfo.InvariantCulture, $"Music/{first} {last} - {album} - {track:00} - {title} {title2}.mp3");
        return (name, Between(random, 3 * MiB, 12 * MiB), $"{first} {last} {title}");
    }

    private static (string, ulong, string) Episode(Random random)
    {
        var show = random.Next(2_000);
        var showName = $"{Titles[show % Titles.Length]}.{Titles[show / Titles.Length * 7 % Titles.Length]}";
        var code = string.Create(CultureInfo.InvariantCulture, $"S{random.Next(1, 9):00}E{random.Next(1, 13):00}");
        var name = $"TV/{showName}.{code}.{Pick(random, Qualities)}.{Pick(random, Sources)}.{Pick(random, Codecs)}.mkv";
        return (name, Between(random, 300 * MiB, 4096 * MiB), $"{showName} {code}");
    }

    private static (string, ulong, string) Film(Random random)
    {
        var title = $"{Pick(random, Titles)}.{Pick(random, Titles)}";
        var year = random.Next(1975, 2026);
        var name = string.Create(CultureInfo.InvariantCulture, $"Movies/{title}.{year}.{Pick(random, Qualities)}.{Pick(random, Sources)}.{Pick(random, Codecs)}.mkv");
        return (name, Between(random, 700 * MiB, 8192 * MiB), string.Create(CultureInfo.InvariantCulture, $"{title} {year}"));
    }

    private static (string, ulong, string) Photo(Random random)
    {
        var year = random.Next(2008, 2026);
        var place = Pick(random, Places);
        var number = random.Next(10_000);
        var name = string.Create(CultureInfo.InvariantCulture, $"Photos/{year}/{place}/IMG_{number:0000}.jpg");
        return (name, Between(random, MiB + (MiB / 2), 8 * MiB), string.Create(CultureInfo.InvariantCulture, $"{place} IMG_{number:0000}"));
    }

    private static (string, ulong, string) Document(Random random)
    {
        var kind = Pick(random, DocumentKinds);
        var subject = Pick(random, Titles);
        var month = string.Create(CultureInfo.InvariantCulture, $"{random.Next(2015, 2026)}-{random.Next(1, 13):00}");
        var name = $"Documents/{kind} {subject} {Pick(random, LastNames)} {month}.{Pick(random, DocumentExtensions)}";
        return (name, Between(random, 20 * 1024, 5 * MiB), $"{kind} {subject} {month}");
    }

    private static (string, ulong, string) DiskImage(Random random)
    {
        var distro = Pick(random, Distros);
        var version = string.Create(CultureInfo.InvariantCulture, $"{random.Next(8, 25)}.{random.Next(0, 5)}");
        var name = $"ISO/{distro}-{version}-{Pick(random, Editions)}-{Pick(random, Architectures)}.iso";
        return (name, Between(random, 400 * MiB, 5000 * MiB), $"{distro} {version}");
    }

    private static string Pick(Random random, string[] words) => words[random.Next(words.Length)];

    private static ulong Between(Random random, long min, long max) => (ulong)random.NextInt64(min, max);

    private static ContentId RandomId(Random random)
    {
        Span<byte> bytes = stackalloc byte[Limits.IdLength];
        random.NextBytes(bytes);
        return new ContentId(bytes);
    }

    private static readonly string[] FirstNames =
    [
        "Aaron", "Adele", "Alice", "Amelia", "Arthur", "Barbara", "Benjamin", "Bianca", "Carlos", "Caroline",
        "Cedric", "Charlotte", "Damian", "Daphne", "Dmitri", "Eleanor", "Elias", "Esther", "Fabian", "Felicity",
        "Florian", "Georgia", "Gideon", "Greta", "Harold", "Helena", "Hugo", "Imogen", "Isaac", "Ingrid",
        "Jasper", "Josephine", "Julian", "Katarina", "Kenji", "Leonora", "Lucas", "Lydia", "Magnus", "Marisol",
        "Matteo", "Miriam", "Nadia", "Nikolai", "Octavia", "Oliver", "Penelope", "Quentin", "Rafael", "Rosalind",
        "Sebastian", "Sienna", "Tobias", "Theodora", "Ulrich", "Valentina", "Wendell", "Xavier", "Yolanda", "Zachary",
    ];

    private static readonly string[] LastNames =
    [
        "Abernathy", "Albrecht", "Baptiste", "Belmonte", "Blackwood", "Brennan", "Castellano", "Chadwick", "Dalgaard", "Delacroix",
        "Drummond", "Eastwick", "Ellsworth", "Fairbanks", "Falkenberg", "Fitzgerald", "Galloway", "Grimaldi", "Halvorsen", "Hawthorne",
        "Holloway", "Ingersoll", "Iwasaki", "Jablonski", "Kavanagh", "Kowalczyk", "Lindqvist", "Lockhart", "Marchetti", "McAllister",
        "Moreau", "Nakamura", "Northcott", "Okonkwo", "Ostrowski", "Pemberton", "Petrakis", "Quinlan", "Radcliffe", "Rasmussen",
        "Rosenthal", "Salvatore", "Schofield", "Sorensen", "Thackeray", "Trevisan", "Underhill", "Valdivia", "Vanderberg", "Wakefield",
        "Whitlock", "Winterbourne", "Yamashita", "Zeller", "Zielinski", "Ashcombe", "Brightwater", "Coldfield", "Dunmore", "Everhart",
    ];

    /// <summary>Words for titles of songs, albums, shows and documents.</summary>
    private static readonly string[] Titles =
    [
        "Amber", "Anchor", "Angel", "Arrow", "Ashes", "Autumn", "Avalanche", "Balcony", "Ballad", "Banner",
        "Beacon", "Blossom", "Boulevard", "Breeze", "Bridge", "Canyon", "Carnival", "Cathedral", "Chariot", "Cinder",
        "Citadel", "Clockwork", "Comet", "Compass", "Coral", "Crimson", "Crystal", "Dagger", "Dancer", "Daylight",
        "Desert", "Diamond", "Dream", "Drifter", "Echo", "Eclipse", "Ember", "Empire", "Falcon", "Feather",
        "Fever", "Firefly", "Flame", "Forest", "Fortune", "Fountain", "Frost", "Galaxy", "Garden", "Ghost",
        "Glacier", "Golden", "Granite", "Gravity", "Harbor", "Harvest", "Haven", "Horizon", "Hunter", "Hurricane",
        "Island", "Ivory", "Jade", "Jasmine", "Jungle", "Kingdom", "Lantern", "Legend", "Lighthouse", "Lightning",
        "Lullaby", "Marble", "Meadow", "Melody", "Midnight", "Mirage", "Mirror", "Monsoon", "Moonlight", "Mountain",
        "Nebula", "Neon", "Nightfall", "Oasis", "Ocean", "Orchard", "Outlaw", "Paradise", "Phantom", "Pilgrim",
        "Prairie", "Prism", "Quartz", "Quiver", "Radiance", "Rainfall", "Raven", "Rebel", "Requiem", "Riddle",
        "River", "Rocket", "Sahara", "Sapphire", "Satellite", "Scarlet", "Shadow", "Shelter", "Silhouette", "Silver",
        "Siren", "Skyline", "Solstice", "Sparrow", "Spiral", "Starlight", "Storm", "Summit", "Sunrise", "Symphony",
        "Tempest", "Thunder", "Tide", "Timber", "Twilight", "Valley", "Velvet", "Voyage", "Wanderer", "Whisper",
        "Wildfire", "Willow", "Winter", "Wolf", "Zenith", "Zephyr", "Orbit", "Pulse", "Reverie", "Saga",
    ];

    private static readonly string[] Places =
    [
        "Holiday", "Barcelona", "Lisbon", "Kyoto", "Iceland", "Tuscany", "Wedding", "Birthday", "Christmas", "Camping",
        "Alps", "Beach", "Berlin", "Prague", "Scotland", "Norway", "Graduation", "Garden", "Vienna", "Provence",
    ];

    private static readonly string[] Distros =
    [
        "ubuntu", "debian", "fedora", "linuxmint", "archlinux", "opensuse", "alpine", "rocky", "almalinux", "kali",
        "manjaro", "elementaryos", "popos", "freebsd", "centos-stream",
    ];

    private static readonly string[] Editions = ["desktop", "server", "netinst", "live", "minimal", "dvd"];

    private static readonly string[] Architectures = ["amd64", "arm64", "i386", "x86_64"];

    private static readonly string[] Qualities = ["720p", "1080p", "2160p"];

    private static readonly string[] Sources = ["WEB", "WEBRip", "BluRay", "HDTV"];

    private static readonly string[] Codecs = ["x264", "x265", "H.264", "HEVC"];

    private static readonly string[] DocumentKinds =
    [
        "Invoice", "Report", "Minutes", "Contract", "Budget", "Presentation", "Thesis", "Manual", "Letter", "Notes",
        "Proposal", "Timesheet", "Itinerary", "Recipe", "Handbook",
    ];

    private static readonly string[] DocumentExtensions = ["pdf", "docx", "xlsx", "odt", "pptx", "txt", "epub"];
}
