using P2PShare.Protocol;

namespace P2PShare.LoadTest.Catalog;

/// <summary>
/// What the simulated peers share, as ready-to-send REGISTER frames, plus search queries for
/// some of the files. Deterministic: peer <c>i</c> always shares the same files.
/// </summary>
internal sealed class PeerCatalog
{
    /// <summary>Files held by many peers; peers pick them with a skewed (Zipf-like) preference.</summary>
    private const int PopularFiles = 1_000;

    private PeerCatalog(byte[][] registerFrames, string[] queries, long entries)
    {
        RegisterFrames = registerFrames;
        Queries = queries;
        Entries = entries;
    }

    /// <summary>The REGISTER frame of each peer, header included.</summary>
    public byte[][] RegisterFrames { get; }

    /// <summary>Queries that each find a few of the registered files.</summary>
    public string[] Queries { get; }

    /// <summary>File entries over all peers.</summary>
    public long Entries { get; }

    public static PeerCatalog Build(int peers, int filesPerPeer, int queryCount, int seed)
    {
        var popular = BuildPopular(seed);
        var frames = new byte[peers][];
        var queries = new string[queryCount];
        long entries = 0;
        Parallel.For(0, peers, peer =>
        {
            var random = new Random(unchecked(seed * 7919 + peer + 1));
            var files = new List<FileEntry>(filesPerPeer);
            var names = new HashSet<string>(StringComparer.Ordinal);
            // About one file in twenty is a popular one; the rest are the peer's own.
            var popularCount = Math.Min(filesPerPeer, random.Next(filesPerPeer / 10 + 1));
            while (files.Count < popularCount)
            {
                var pick = popular[(int)(PopularFiles * Math.Pow(random.NextDouble(), 3))];
                if (names.Add(pick.Name))
                {
                    files.Add(pick);
                }
            }

            while (files.Count < filesPerPeer)
            {
                var file = NameGenerator.Everyday(random);
                if (names.Add(file.Name))
                {
                    files.Add(new FileEntry(file.Name, file.Size, RandomId(random)));
                    // Peer i gives the query of its first own file to query slot i (while slots last).
                    if (files.Count == popularCount + 1 && peer < queryCount)
                    {
                        queries[peer] = file.Query;
                    }
                }
            }

            // Listen ports are never connected to; they only need to be valid and distinct.
            var port = (ushort)(10_000 + peer % 50_000);
            frames[peer] = MessageCodec.EncodeFrame(new RegisterMessage(port, files));
            Interlocked.Add(ref entries, files.Count);
        });

        // With fewer peers than query slots, the remaining slots repeat the queries made so far.
        var made = Math.Min(peers, queryCount);
        for (var i = made; i < queryCount; i++)
        {
            queries[i] = queries[i % made];
        }

        return new PeerCatalog(frames, queries, entries);
    }

    private static FileEntry[] BuildPopular(int seed)
    {
        var random = new Random(seed);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var files = new List<FileEntry>(PopularFiles);
        while (files.Count < PopularFiles)
        {
            var file = NameGenerator.Popular(random);
            if (names.Add(file.Name))
            {
                files.Add(new FileEntry(file.Name, file.Size, RandomId(random)));
            }
        }

        return [.. files];
    }

    private static ContentId RandomId(Random random)
    {
        Span<byte> bytes = stackalloc byte[Limits.IdLength];
        random.NextBytes(bytes);
        return new ContentId(bytes);
    }
}
