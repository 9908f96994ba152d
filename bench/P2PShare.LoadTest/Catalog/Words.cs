namespace P2PShare.LoadTest.Catalog;

/// <summary>The word lists the simulated file names are built from (a few hundred words in all).</summary>
internal static class Words
{
    public static readonly string[] FirstNames =
    [
        "Aaron", "Adele", "Alice", "Amelia", "Arthur", "Barbara", "Benjamin", "Bianca", "Carlos", "Caroline",
        "Cedric", "Charlotte", "Damian", "Daphne", "Dmitri", "Eleanor", "Elias", "Esther", "Fabian", "Felicity",
        "Florian", "Georgia", "Gideon", "Greta", "Harold", "Helena", "Hugo", "Imogen", "Isaac", "Ingrid",
        "Jasper", "Josephine", "Julian", "Katarina", "Kenji", "Leonora", "Lucas", "Lydia", "Magnus", "Marisol",
        "Matteo", "Miriam", "Nadia", "Nikolai", "Octavia", "Oliver", "Penelope", "Quentin", "Rafael", "Rosalind",
        "Sebastian", "Sienna", "Tobias", "Theodora", "Ulrich", "Valentina", "Wendell", "Xavier", "Yolanda", "Zachary",
    ];

    public static readonly string[] LastNames =
    [
        "Abernathy", "Albrecht", "Baptiste", "Belmonte", "Blackwood", "Brennan", "Castellano", "Chadwick", "Dalgaard", "Delacroix",
        "Drummond", "Eastwick", "Ellsworth", "Fairbanks", "Falkenberg", "Fitzgerald", "Galloway", "Grimaldi", "Halvorsen", "Hawthorne",
        "Holloway", "Ingersoll", "Iwasaki", "Jablonski", "Kavanagh", "Kowalczyk", "Lindqvist", "Lockhart", "Marchetti", "McAllister",
        "Moreau", "Nakamura", "Northcott", "Okonkwo", "Ostrowski", "Pemberton", "Petrakis", "Quinlan", "Radcliffe", "Rasmussen",
        "Rosenthal", "Salvatore", "Schofield", "Sorensen", "Thackeray", "Trevisan", "Underhill", "Valdivia", "Vanderberg", "Wakefield",
        "Whitlock", "Winterbourne", "Yamashita", "Zeller", "Zielinski", "Ashcombe", "Brightwater", "Coldfield", "Dunmore", "Everhart",
    ];

    /// <summary>Words for titles of songs, albums, shows and documents.</summary>
    public static readonly string[] Titles =
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

    public static readonly string[] Places =
    [
        "Holiday", "Barcelona", "Lisbon", "Kyoto", "Iceland", "Tuscany", "Wedding", "Birthday", "Christmas", "Camping",
        "Alps", "Beach", "Berlin", "Prague", "Scotland", "Norway", "Graduation", "Garden", "Vienna", "Provence",
    ];

    public static readonly string[] Distros =
    [
        "ubuntu", "debian", "fedora", "linuxmint", "archlinux", "opensuse", "alpine", "rocky", "almalinux", "kali",
        "manjaro", "elementaryos", "popos", "freebsd", "centos-stream",
    ];

    public static readonly string[] Editions = ["desktop", "server", "netinst", "live", "minimal", "dvd"];

    public static readonly string[] Architectures = ["amd64", "arm64", "i386", "x86_64"];

    public static readonly string[] Qualities = ["720p", "1080p", "2160p"];

    public static readonly string[] Sources = ["WEB", "WEBRip", "BluRay", "HDTV"];

    public static readonly string[] Codecs = ["x264", "x265", "H.264", "HEVC"];

    public static readonly string[] DocumentKinds =
    [
        "Invoice", "Report", "Minutes", "Contract", "Budget", "Presentation", "Thesis", "Manual", "Letter", "Notes",
        "Proposal", "Timesheet", "Itinerary", "Recipe", "Handbook",
    ];

    public static readonly string[] DocumentExtensions = ["pdf", "docx", "xlsx", "odt", "pptx", "txt", "epub"];
}
