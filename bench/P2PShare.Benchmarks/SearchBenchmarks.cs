using System.Net;
using BenchmarkDotNet.Attributes;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Benchmarks;

/// <summary>
/// Searching the in-memory registry as it grows: 10,000 peers with 100 files each (1,000,000
/// entries) at the largest size, names built from a small vocabulary like real file names.
/// </summary>
[MemoryDiagnoser]
public class SearchBenchmarks
{
    private static readonly string[] Words =
    [
        "live", "remastered", "album", "track", "mix", "edit", "demo", "session", "concert", "radio",
        "ubuntu", "debian", "iso", "backup", "photos", "holiday", "report", "draft", "final", "notes",
    ];

    private readonly InMemoryPeerRegistry _registry = new();

    [Params(100, 10_000)]
    public int Peers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        for (var peer = 0; peer < Peers; peer++)
        {
            var files = new List<FileEntry>(100);
            for (var file = 0; file < 100; file++)
            {
                var name = $"{Words[random.Next(Words.Length)]}/{Words[random.Next(Words.Length)]} {Words[random.Next(Words.Length)]} {peer}-{file}.bin";
                files.Add(new FileEntry(name, (ulong)random.Next(), ContentId.Zero));
            }

            var address = new IPAddress([10, (byte)(peer >> 16), (byte)(peer >> 8), (byte)peer]);
            _registry.Register(new PeerKey(address, 3300), files);
        }
    }

    /// <summary>A rare combination: every file must be looked at, few match.</summary>
    [Benchmark]
    public int SearchRare() => _registry.Search("ubuntu iso 77-5", null, Limits.MaxSearchResults).Count;

    /// <summary>A common word: the 1000-entry cap ends the search early.</summary>
    [Benchmark]
    public int SearchCommon() => _registry.Search("live", null, Limits.MaxSearchResults).Count;
}
