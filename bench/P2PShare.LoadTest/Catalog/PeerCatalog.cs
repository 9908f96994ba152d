using P2PShare.Protocol;

namespace P2PShare.LoadTest.Catalog;

/// <summary>
/// What the simulated peers share, as ready-to-send REGISTER frames, plus search queries for
/// some of the files. Deterministic: peer <c>i</c> always shares the same files.
/// </summary>
internal sealed class PeerCatalog
{
    private PeerCatalog(byte[][] registerFrames, string[] queries, long entries)
    {
        RegisterFrames = registerFrames;
        Queries = queries;
        Entries = entries;
    }

    /// <summary>The REGISTER frame of each peer, header included.</summary>
    public byte[][] RegisterFrames { get; }

    /// <summary>Queries that each find a few of the registered files (the repeated queries).</summary>
    public string[] Queries { get; }

    /// <summary>File entries over all peers.</summary>
    public long Entries { get; }

    public static PeerCatalog Build(ICatalogGenerator generator, int peers, int filesPerPeer, int queryCount)
    {
        var frames = new byte[peers][];
        var queries = new string[queryCount];
        long entries = 0;
        Parallel.For(0, peers, peer =>
        {
            var files = generator.FilesFor(peer, filesPerPeer, out var query);
            // Peer i gives the query of its first own file to query slot i (while slots last).
            if (peer < queryCount)
            {
                queries[peer] = query;
            }

            // Listen ports are never connected to; they only need to be valid and distinct.
            var port = (ushort)(10_000 + (peer % 50_000));
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
}
