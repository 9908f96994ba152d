using System.Net;
using BenchmarkDotNet.Attributes;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Benchmarks;

/// <summary>
/// The in-memory registry at the size issue 5 asks for: 10,000 peers with 100 files each
/// (1,000,000 entries) of realistic names (<see cref="SearchCorpus"/>, fixed seed), searched
/// without remembering searches (what a query costs the first time) and with (what a repeated
/// query costs), and registered from scratch. A search is measured as the server runs it: the
/// results are encoded into a RESULTS frame in a pooled buffer. The Legacy ones search the corpus of the first
/// version of this benchmark (names from a 20-word vocabulary), so that they compare directly
/// with the figures recorded before the index.
/// </summary>
[MemoryDiagnoser]
public class SearchBenchmarks
{
    private const int Peers = 10_000;
    private const int FilesPerPeer = 100;

    private static readonly string[] LegacyWords =
    [
        "live", "remastered", "album", "track", "mix", "edit", "demo", "session", "concert", "radio",
        "ubuntu", "debian", "iso", "backup", "photos", "holiday", "report", "draft", "final", "notes",
    ];

    private SearchCorpus _corpus = null!;
    private PeerKey[] _keys = null!;
    private InMemoryPeerRegistry _registry = null!;
    private string[] _rareQueries = null!;
    private readonly ResultsFrameBuilder _frame = new();
    private int _next;

    [GlobalSetup(Targets = [nameof(SearchRare), nameof(SearchCommon), nameof(SearchTwoChars)])]
    public void SetupFirstTimeSearches() => Setup(rememberSearches: false);

    [GlobalSetup(Target = nameof(SearchRareRepeated))]
    public void SetupRepeatedSearches() => Setup(rememberSearches: true);

    [GlobalSetup(Target = nameof(Register))]
    public void SetupRegister()
    {
        _corpus = SearchCorpus.Build(Peers, FilesPerPeer, seed: 42);
        _keys = Keys();
    }

    [GlobalSetup(Targets = [nameof(LegacySearchRare), nameof(LegacySearchCommon)])]
    public void SetupLegacy()
    {
        _registry = new InMemoryPeerRegistry(minDeadToCompact: 16 * 1024, rememberSearches: false);
        var random = new Random(42);
        var keys = Keys();
        for (var peer = 0; peer < Peers; peer++)
        {
            var files = new List<FileEntry>(FilesPerPeer);
            for (var file = 0; file < FilesPerPeer; file++)
            {
                var name = $"{LegacyWords[random.Next(LegacyWords.Length)]}/{LegacyWords[random.Next(LegacyWords.Length)]} {LegacyWords[random.Next(LegacyWords.Length)]} {peer}-{file}.bin";
                files.Add(new FileEntry(name, (ulong)random.Next(), ContentId.Zero));
            }

            _registry.Register(keys[peer], files);
        }
    }

    /// <summary>
    /// Two or three words that together match a handful of the million names (an artist and a
    /// title, a show and an episode, a place and a photo number, ...): each call takes the next
    /// of 1024 such queries, so this is the average over the kinds of names.
    /// </summary>
    [Benchmark]
    public int SearchRare() => Search(_rareQueries[_next++ & 1023]);

    /// <summary>The same queries, asked again and again: the registry remembers what it found.</summary>
    [Benchmark]
    public int SearchRareRepeated() => Search(_rareQueries[_next++ & 1023]);

    /// <summary>A word in almost half the names: the 1000-entry limit ends the search.</summary>
    [Benchmark]
    public int SearchCommon() => Search("mp3");

    /// <summary>A two-letter word has no trigram: the entries are walked in order until 1000 match.</summary>
    [Benchmark]
    public int SearchTwoChars() => Search("S0");

    /// <summary>10,000 REGISTER calls of 100 files each into an empty registry.</summary>
    [Benchmark]
    public int Register()
    {
        var registry = new InMemoryPeerRegistry();
        for (var peer = 0; peer < Peers; peer++)
        {
            registry.Register(_keys[peer], _corpus.Files[peer]);
        }

        return registry.FileCount;
    }

    /// <summary>The rare query of the benchmark before the index: every file had to be looked at.</summary>
    [Benchmark]
    public int LegacySearchRare() => Search("ubuntu iso 77-5");

    /// <summary>The common query of the benchmark before the index.</summary>
    [Benchmark]
    public int LegacySearchCommon() => Search("live");

    private static PeerKey[] Keys() =>
        [.. Enumerable.Range(0, Peers).Select(peer => new PeerKey(new IPAddress([10, (byte)(peer >> 16), (byte)(peer >> 8), (byte)peer]), 3300))];

    private void Setup(bool rememberSearches)
    {
        _corpus = SearchCorpus.Build(Peers, FilesPerPeer, seed: 42);
        _registry = new InMemoryPeerRegistry(minDeadToCompact: 16 * 1024, rememberSearches);
        var keys = Keys();
        for (var peer = 0; peer < Peers; peer++)
        {
            _registry.Register(keys[peer], _corpus.Files[peer]);
        }

        // Queries of peers spread over the whole id range.
        _rareQueries = [.. Enumerable.Range(0, 1024).Select(i => _corpus.Queries[i * 9 % Peers])];
    }

    /// <summary>What the server does for SEARCH: the results go straight into a pooled RESULTS frame.</summary>
    private int Search(string query)
    {
        _frame.Start();
        _registry.SearchAsync(System.Text.Encoding.UTF8.GetBytes(query), null, Limits.MaxSearchResults, _frame).AsTask().GetAwaiter().GetResult();
        var length = _frame.Finish().Length;
        _frame.Release();
        return length;
    }
}
