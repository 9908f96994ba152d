using System.Globalization;
using P2PShare.Protocol;

namespace P2PShare.LoadTest.Catalog;

/// <summary>
/// <c>--catalog office</c>: what the people of a lab or an office share. Each simulated peer is
/// a person with a department (14, Zipf-like s = 0.6), three projects (of 60, Zipf-like s = 0.7),
/// a surname (of 60) and the years they have been there (the last 1-8 up to 2025, recent years
/// more often). Three people in ten work in the lab. Their own files (nine tenths):
/// <list type="bullet">
/// <item>reports, 35% (lab: 20%): <c>reports/finance/2024/q3/budget-review emea v2 final.xlsx</c>:
/// their department (80%), a year of theirs, a quarter, one of 30 topics (Zipf-like s = 0.5),
/// 9 kinds, a region (16) 40% of the time, v1-v6 (mostly low), a status (draft, final,
/// approved, internal) 65% of the time, xlsx/docx/pdf/pptx;</item>
/// <item>project documents, 35% (lab: 25%): <c>projects/apollo/specs/design notes v3 draft (kowalczyk).docx</c>:
/// one of their projects, 8 folders, 16 subjects, 8 document kinds, a version half of the time, a
/// status, their surname 60% of the time;</item>
/// <item>meetings, 15% (lab: 10%): <c>meetings/2024-05-14 apollo planning minutes.pdf</c>: a day of
/// their years, a project or their department 60% of the time, a meeting type (10) half of the
/// time, minutes/agenda/notes/slides/action-items;</item>
/// <item>lab runs, 5% (lab: 40%): <c>lab/helix/runs/run-0042/data-03.csv</c>, 3-12 files of one
/// run (0-2999) of one of their projects at a time: params, log, data and plots;</item>
/// <item>photos, 10% (lab: 5%): <c>photos/2023-07 offsite/IMG_1234.jpg</c>, 5-29 photos of one
/// event (20) at a time, the numbers running on.</item>
/// </list>
/// The other tenth are company-wide files held by many peers: handbooks, templates, all-hands
/// slides, policies, newsletters, quarterly department reports (1,000 names, picked Zipf-like,
/// s = 0.8). The content id and size follow from the name (<see cref="CatalogFiles.FromName"/>).
/// <para>
/// Queries are broad: the words of one template (<see cref="Templates"/>) applied to a freshly
/// generated file of a random person, of a kind picked by what people look for (reports 35%,
/// project documents 35%, meetings 15%, lab runs 8%, photos 7%): 1-3 of its department,
/// project, topic, kind, status, region, author, year, quarter, version, month, run prefix or
/// event words, such as <c>apollo specs</c>, <c>fin q3 2024</c>, <c>2023-07 minutes</c>,
/// <c>helix run-00</c>. A word of letters is typed whole or cut to a prefix of 3 or more letters
/// (<see cref="Typed"/>), as people type into a box that matches substrings. On 10,000 peers ×
/// 100 files an answer holds ~300 entries on average (about a tenth the full 1000, a twentieth
/// none; <c>p2pshare-loadtest catalog</c> estimates it).
/// </para>
/// <para>
/// Broad and never repeated pull apart: a million names can only be matched hundreds at a time
/// by so many different queries (each name is matched by a few hundred of the queries the
/// templates can make, so there are roughly a million names × a few hundred / the answer's
/// size of them, in the hundreds of thousands, far from uniformly likely). Of 150,000 queries
/// drawn, ~70% are distinct (~92% of 20,000); the load test reports the share in its window.
/// </para>
/// </summary>
internal sealed class OfficeCatalog : ICatalogGenerator
{
    private const long KiB = 1024;
    private const long MiB = 1024 * KiB;
    private const int PopularCount = 1_000;
    private const int LastYear = 2025;

    private static readonly string[] Departments =
    [
        "engineering", "sales", "marketing", "finance", "research", "operations", "support",
        "design", "legal", "procurement", "facilities", "quality", "infra", "people",
    ];

    private static readonly string[] Projects =
    [
        "apollo", "borealis", "cobalt", "delta", "ember", "falcon", "gemini", "helix", "juniper", "kestrel",
        "lumen", "meridian", "nova", "orion", "pegasus", "quasar", "raven", "sierra", "titan", "umbra",
        "vega", "willow", "xenon", "yukon", "zephyr", "atlas", "beacon", "cascade", "dynamo", "fathom",
        "granite", "horizon", "iris", "jasper", "kodiak", "lynx", "mosaic", "nimbus", "onyx", "polaris",
        "quartz", "redwood", "summit", "tundra", "vertex", "aurora", "bison", "cirrus", "equinox", "fjord",
        "glacier", "harbor", "indigo", "kepler", "lotus", "magnet", "neptune", "osprey", "pioneer", "sequoia",
    ];

    private static readonly string[] Topics =
    [
        "budget", "sales", "hiring", "headcount", "risk", "travel", "inventory", "forecast", "revenue", "expenses",
        "payroll", "audit", "compliance", "pipeline", "churn", "capacity", "vendor", "pricing", "training", "safety",
        "energy", "backlog", "roadmap", "incidents", "uptime", "tax", "customer", "quality", "security", "okr",
    ];

    private static readonly string[] ReportKinds = ["review", "summary", "plan", "forecast", "report", "analysis", "overview", "update", "memo"];

    private static readonly (string Word, int Weight)[] Statuses = [("", 35), ("draft", 25), ("final", 20), ("approved", 10), ("internal", 10)];

    private static readonly (string Word, int Weight)[] ReportExtensions = [("xlsx", 40), ("docx", 25), ("pdf", 25), ("pptx", 10)];

    private static readonly string[] ProjectFolders = ["specs", "drafts", "reviews", "slides", "data", "notes", "contracts", "tests"];

    private static readonly string[] Subjects =
    [
        "design", "api", "architecture", "timeline", "requirements", "test-plan", "launch", "budget",
        "risk", "vendor", "interface", "security", "migration", "rollout", "user-study", "benchmark",
    ];

    private static readonly string[] DocumentKinds = ["notes", "spec", "plan", "review", "brief", "summary", "checklist", "proposal"];

    private static readonly (string Word, int Weight)[] DocumentExtensions = [("docx", 45), ("pdf", 25), ("pptx", 15), ("xlsx", 15)];

    private static readonly (string Word, int Weight)[] MeetingKinds = [("minutes", 35), ("agenda", 25), ("notes", 20), ("slides", 10), ("action-items", 10)];

    private static readonly string[] Events =
    [
        "offsite", "holiday", "conference", "party", "launch", "workshop", "retreat", "visit", "fair", "team-day",
        "hackathon", "lab-tour", "summer", "winter", "kickoff", "award", "training", "site-visit", "picnic", "expo",
    ];

    private static readonly string[] Regions =
    [
        "emea", "apac", "americas", "nordics", "dach", "benelux", "iberia", "uk", "france", "italy",
        "japan", "india", "brazil", "canada", "mexico", "korea",
    ];

    private static readonly string[] MeetingTypes = ["weekly", "planning", "review", "retro", "steering", "standup", "kickoff", "board", "budget", "design"];

    private static readonly (string Word, int Weight)[] Versions = [("v1", 40), ("v2", 25), ("v3", 15), ("v4", 10), ("v5", 6), ("v6", 4)];

    // The facet words each kind of file lists (in Make), by index:
    //   Report:  0 department, 1 year, 2 quarter, 3 topic, 4 kind, 5 version, 6 extension, 7 region, 8 status
    //   Project: 0 project, 1 folder, 2 subject, 3 document kind, 4 version, 5 extension, 6 author, 7 status
    //   Meeting: 0 year-month, 1 team, 2 kind, 3 year, 4 extension, 5 meeting type
    //   Lab:     0 project, 1 run-004 (ten runs), 2 run-0042, 3 file kind, 4 extension, 5 run-00 (a hundred runs)
    //   Photo:   0 year-month, 1 event, 2 year, 3 IMG_12 (a hundred numbers), 4 IMG_123 (ten), 5 IMG_1 (a thousand)
    // Words a file does not have are "" (a region, a status, a version, a team, an author, a
    // meeting type); a query takes the words of one of the templates the file has all the words
    // of (the first template of each kind needs none of those), in the template's order. Most templates combine words that
    // hundreds of the million names share; a few are broader (the answer is cut at 1000) or
    // narrower.
    private static readonly (int[] Words, int Weight)[][] Templates =
    [
        // Report
        [
            ([3, 1, 2], 4), ([3, 5, 2], 4), ([0, 4, 1], 8), ([3, 1, 6], 8), ([3, 8, 2], 8), ([7, 2, 8], 6), ([0, 7], 4), ([0, 2, 1], 3),
            ([0, 3, 1], 4), ([3, 4], 4), ([7, 3], 4), ([3, 4, 8], 10), ([0, 3, 8], 8), ([4, 8, 5], 6), ([0, 2, 8], 6), ([0, 4, 6], 8),
        ],
        // Project
        [
            ([0, 2], 8), ([2, 3, 5], 10), ([6, 1], 6), ([6, 7], 6), ([2, 3, 7], 12), ([1, 2, 7], 10), ([0, 1], 6), ([0, 3], 6),
            ([0, 1, 3], 2), ([1, 2, 3], 4), ([0, 1, 7], 6), ([6, 5], 4), ([6, 2], 4), ([0, 2, 5], 6), ([0, 3, 7], 8),
        ],
        // Meeting
        [([0, 2], 6), ([5, 2, 3], 14), ([1, 3, 4], 14), ([1, 2], 10), ([1, 2, 3], 14), ([1, 5], 10), ([5, 0], 6), ([0, 1], 8), ([1, 5, 2], 3)],
        // Lab
        [([1, 3], 15), ([0, 5], 30), ([1], 10), ([0, 5, 3], 20), ([2], 5), ([0, 1], 5)],
        // Photo
        [([1, 5], 20), ([3, 2], 15), ([0, 1], 15), ([1, 3], 15), ([0, 5], 15), ([1, 2], 10), ([1, 4], 5)],
    ];

    private readonly Zipf _departments = new(Departments.Length, 0.6);
    private readonly Zipf _projects = new(Projects.Length, 0.7);
    private readonly Zipf _topics = new(Topics.Length, 0.5);
    private readonly Zipf _popularPick = new(PopularCount, 0.8);
    private readonly FileEntry[] _popular;
    private readonly int _seed;

    public OfficeCatalog(int seed)
    {
        _seed = seed;
        var random = new Random(seed);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var popular = new List<FileEntry>(PopularCount);
        while (popular.Count < PopularCount)
        {
            CatalogFiles.AddNew(popular, names, CompanyWide(random));
        }

        _popular = [.. popular];
    }

    public string Kind => "office";

    public List<FileEntry> FilesFor(int peer, int filesPerPeer, out string ownQuery)
    {
        var random = new Random(unchecked((_seed * 7919) + peer + 1));
        var person = NewPerson(random);
        var files = new List<FileEntry>(filesPerPeer);
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (files.Count < filesPerPeer / 10)
        {
            CatalogFiles.AddNew(files, names, _popular[_popularPick.Next(random)]);
        }

        ownQuery = "";
        var words = new List<string>(8);
        while (files.Count < filesPerPeer)
        {
            // Lab runs and photo folders come several files at a time.
            var kind = PickKind(random, person);
            var count = kind switch
            {
                FileKind.Lab => 3 + random.Next(10),
                FileKind.Photo => 5 + random.Next(25),
                _ => 1,
            };
            var group = random.Next();
            for (var i = 0; i < count && files.Count < filesPerPeer; i++)
            {
                words.Clear();
                var entry = Make(random, person, kind, group, i, words);
                if (names.Add(entry.Name))
                {
                    files.Add(entry);
                    if (ownQuery.Length == 0)
                    {
                        ownQuery = Query(random, kind, words);
                    }
                }
            }
        }

        return files;
    }

    public string NextQuery(Random random)
    {
        // Documents are what people look for most; lab runs and photos less than they are shared.
        var kind = random.Next(100) switch
        {
            < 35 => FileKind.Report,
            < 70 => FileKind.Project,
            < 85 => FileKind.Meeting,
            < 93 => FileKind.Lab,
            _ => FileKind.Photo,
        };
        var words = new List<string>(9);
        Make(random, NewPerson(random), kind, random.Next(), random.Next(30), words);
        return Query(random, kind, words);
    }

    private enum FileKind
    {
        Report,
        Project,
        Meeting,
        Lab,
        Photo,
    }

    private sealed record Person(int Department, int[] Projects, int FirstYear, bool Lab, int Author);

    private Person NewPerson(Random random)
    {
        var projects = new int[3];
        for (var i = 0; i < projects.Length; i++)
        {
            int project;
            do
            {
                project = _projects.Next(random);
            }
            while (Array.IndexOf(projects, project, 0, i) >= 0);
            projects[i] = project;
        }

        return new Person(_departments.Next(random), projects, LastYear - random.Next(8), random.Next(10) < 3, random.Next());
    }

    private static FileKind PickKind(Random random, Person person)
    {
        var roll = random.Next(100);
        if (person.Lab)
        {
            return roll switch
            {
                < 20 => FileKind.Report,
                < 45 => FileKind.Project,
                < 55 => FileKind.Meeting,
                < 95 => FileKind.Lab,
                _ => FileKind.Photo,
            };
        }

        return roll switch
        {
            < 35 => FileKind.Report,
            < 70 => FileKind.Project,
            < 85 => FileKind.Meeting,
            < 90 => FileKind.Lab,
            _ => FileKind.Photo,
        };
    }

    /// <summary>
    /// A file of <paramref name="kind"/>; files of one <paramref name="group"/> (a lab run, a
    /// photo folder) share their folder, <paramref name="index"/> numbers them. Its facet words
    /// go to <paramref name="words"/>.
    /// </summary>
    private FileEntry Make(Random random, Person person, FileKind kind, int group, int index, List<string> words)
    {
        var year = Year(random, person);
        switch (kind)
        {
            case FileKind.Report:
                {
                    var department = Departments[random.Next(10) < 8 ? person.Department : _departments.Next(random)];
                    var quarter = string.Create(CultureInfo.InvariantCulture, $"q{1 + random.Next(4)}");
                    var topic = Topics[_topics.Next(random)];
                    var reportKind = CatalogFiles.Pick(random, ReportKinds);
                    var version = CatalogFiles.Pick(random, Versions);
                    var extension = CatalogFiles.Pick(random, ReportExtensions);
                    var region = random.Next(10) < 4 ? CatalogFiles.Pick(random, Regions) : "";
                    var status = CatalogFiles.Pick(random, Statuses);
                    words.AddRange([department, year, quarter, topic, reportKind, version, extension, region, status]);
                    var regionPart = region.Length == 0 ? "" : " " + region;
                    var statusPart = status.Length == 0 ? "" : " " + status;
                    return CatalogFiles.FromName($"reports/{department}/{year}/{quarter}/{topic}-{reportKind}{regionPart} {version}{statusPart}.{extension}", 20 * KiB, 4 * MiB);
                }

            case FileKind.Project:
                {
                    var project = Projects[person.Projects[Math.Min(random.Next(4), 2)]];
                    var folder = CatalogFiles.Pick(random, ProjectFolders);
                    var subject = CatalogFiles.Pick(random, Subjects);
                    var documentKind = CatalogFiles.Pick(random, DocumentKinds);
                    var version = random.Next(2) == 0 ? CatalogFiles.Pick(random, Versions) : "";
                    var extension = CatalogFiles.Pick(random, DocumentExtensions);
                    var author = random.Next(10) < 6 ? Words.LastNames[GroupValue(person.Author, 0, Words.LastNames.Length)].ToLowerInvariant() : "";
                    var status = CatalogFiles.Pick(random, Statuses);
                    words.AddRange([project, folder, subject, documentKind, version, extension, author, status]);
                    var versionPart = version.Length == 0 ? "" : " " + version;
                    var statusPart = status.Length == 0 ? "" : " " + status;
                    var authorPart = author.Length == 0 ? "" : $" ({author})";
                    return CatalogFiles.FromName($"projects/{project}/{folder}/{subject} {documentKind}{versionPart}{statusPart}{authorPart}.{extension}", 20 * KiB, 8 * MiB);
                }

            case FileKind.Meeting:
                {
                    var month = string.Create(CultureInfo.InvariantCulture, $"{year}-{1 + random.Next(12):00}");
                    var day = string.Create(CultureInfo.InvariantCulture, $"{month}-{1 + random.Next(28):00}");
                    var team = random.Next(10) switch
                    {
                        < 4 => "",
                        < 8 => Projects[person.Projects[random.Next(3)]],
                        _ => Departments[person.Department],
                    };
                    var meetingType = random.Next(2) == 0 ? CatalogFiles.Pick(random, MeetingTypes) : "";
                    var meetingKind = CatalogFiles.Pick(random, MeetingKinds);
                    var extension = meetingKind == "slides" ? "pptx" : random.Next(10) < 6 ? "pdf" : "docx";
                    words.AddRange([month, team, meetingKind, year, extension, meetingType]);
                    var teamPart = team.Length == 0 ? "" : team + " ";
                    var typePart = meetingType.Length == 0 ? "" : meetingType + " ";
                    return CatalogFiles.FromName($"meetings/{day} {teamPart}{typePart}{meetingKind}.{extension}", 10 * KiB, 2 * MiB);
                }

            case FileKind.Lab:
                {
                    // Every file of one run has the same project and run number (from the group).
                    var project = Projects[person.Projects[GroupValue(group, 1, 3)]];
                    var run = string.Create(CultureInfo.InvariantCulture, $"run-{GroupValue(group, 2, 3000):0000}");
                    var (fileKind, extension, number, minSize, maxSize) = index switch
                    {
                        0 => ("params", "json", 1, KiB, 20 * KiB),
                        1 => ("log", "log", 1, 100 * KiB, 20 * MiB),
                        _ when index % 3 == 1 => ("plot", "png", index - 1, 50 * KiB, 2 * MiB),
                        _ => ("data", "csv", index - 1, MiB, 200 * MiB),
                    };
                    words.AddRange([project, run[..^1], run, fileKind, extension, run[..^2]]);
                    return CatalogFiles.FromName(string.Create(CultureInfo.InvariantCulture, $"lab/{project}/runs/{run}/{fileKind}-{number:00}.{extension}"), minSize, maxSize);
                }

            default:
                {
                    // One folder (month and event) per group, the numbers running on from a first.
                    var span = LastYear - person.FirstYear + 1;
                    var folderYear = (LastYear - Math.Min(GroupValue(group, 3, span), GroupValue(group, 4, span))).ToString(CultureInfo.InvariantCulture);
                    var month = string.Create(CultureInfo.InvariantCulture, $"{folderYear}-{1 + GroupValue(group, 5, 12):00}");
                    var photoEvent = Events[GroupValue(group, 6, Events.Length)];
                    var number = (GroupValue(group, 7, 10_000) + index) % 10_000;
                    var image = string.Create(CultureInfo.InvariantCulture, $"IMG_{number:0000}");
                    words.AddRange([month, photoEvent, folderYear, image[..^2], image[..^1], image[..^3]]);
                    return CatalogFiles.FromName($"photos/{month} {photoEvent}/{image}.jpg", 2 * MiB, 9 * MiB);
                }
        }
    }

    /// <summary>The words of one of the kind's templates that this file has all the words of, by weight, as typed.</summary>
    private static string Query(Random random, FileKind kind, List<string> words)
    {
        var templates = Templates[(int)kind];
        var total = 0;
        foreach (var (candidate, weight) in templates)
        {
            total += Fits(candidate, words) ? weight : 0;
        }

        var roll = random.Next(total);
        var template = templates[0].Words;
        foreach (var (candidate, weight) in templates)
        {
            if (Fits(candidate, words))
            {
                roll -= weight;
                if (roll < 0)
                {
                    template = candidate;
                    break;
                }
            }
        }

        return string.Join(' ', template.Select(i => Typed(random, words[i])));
    }

    private static bool Fits(int[] template, List<string> words) => template.All(i => words[i].Length > 0);

    /// <summary>
    /// A word as a user types it into a search box that matches substrings: a word of letters
    /// (and dashes) of four or more is typed whole or cut after its third letter or any later
    /// one, each as likely (<c>eng</c>, <c>engi</c>, ... <c>engineering</c>); numbers, dates and
    /// short words (<c>2024</c>, <c>q3</c>, <c>v2</c>, <c>run-004</c>) whole.
    /// </summary>
    private static string Typed(Random random, string word)
    {
        if (word.Length < 4 || !word.All(c => char.IsAsciiLetterLower(c) || c == '-'))
        {
            return word;
        }

        var cut = 3 + random.Next(word.Length - 2);
        return word[..cut].TrimEnd('-');
    }

    /// <summary>A value in 0 .. <paramref name="count"/>-1 that depends on the group and the salt only (a hash).</summary>
    private static int GroupValue(int group, int salt, int count)
    {
        var x = ((ulong)(uint)group << 8) | (uint)salt;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9UL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebUL;
        x ^= x >> 31;
        return (int)(x % (ulong)count);
    }

    /// <summary>A year of the person's, the recent ones more often (more files are recent).</summary>
    private static string Year(Random random, Person person)
    {
        var span = LastYear - person.FirstYear + 1;
        var back = Math.Min(random.Next(span), random.Next(span));
        return (LastYear - back).ToString(CultureInfo.InvariantCulture);
    }

    private FileEntry CompanyWide(Random random)
    {
        var year = (LastYear - Math.Min(random.Next(10), random.Next(10))).ToString(CultureInfo.InvariantCulture);
        var quarter = 1 + random.Next(4);
        switch (random.Next(6))
        {
            case 0:
                return CatalogFiles.FromName($"shared/handbook/employee handbook {year}.pdf", 500 * KiB, 5 * MiB);
            case 1:
                var template = CatalogFiles.Pick(random, ["report", "invoice", "slides", "letter", "memo", "budget", "timesheet", "expense-claim"]);
                var extension = template is "slides" ? "potx" : template is "budget" or "timesheet" or "expense-claim" ? "xltx" : "dotx";
                return CatalogFiles.FromName($"shared/templates/{template} template {CatalogFiles.Pick(random, Versions)}.{extension}", 20 * KiB, 2 * MiB);
            case 2:
                return CatalogFiles.FromName(string.Create(CultureInfo.InvariantCulture, $"shared/all-hands/{year}-q{quarter} all-hands slides.pptx"), 2 * MiB, 40 * MiB);
            case 3:
                var policy = CatalogFiles.Pick(random, ["travel", "security", "privacy", "expenses", "remote-work", "hiring", "safety", "procurement"]);
                return CatalogFiles.FromName($"shared/policies/{policy} policy {year}.pdf", 100 * KiB, 3 * MiB);
            case 4:
                return CatalogFiles.FromName(string.Create(CultureInfo.InvariantCulture, $"shared/newsletters/{year}-{1 + random.Next(12):00} newsletter.pdf"), 500 * KiB, 10 * MiB);
            default:
                var department = Departments[_departments.Next(random)];
                return CatalogFiles.FromName(string.Create(CultureInfo.InvariantCulture, $"shared/{department}/{year}-q{quarter} {department} {Topics[_topics.Next(random)]}-report.pdf"), 200 * KiB, 6 * MiB);
        }
    }
}
