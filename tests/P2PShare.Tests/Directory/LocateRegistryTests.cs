using System.Net;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Tests.Directory;

/// <summary>
/// LOCATE and HOLD in <see cref="InMemoryPeerRegistry"/>: the content-id index against a plain
/// model of the registration sequence (through ADD, REMOVE, replacement, unregistering and
/// compaction), the order of whole and partial holders, the per-peer cap, and the bound on the
/// work of one LOCATE.
/// </summary>
public sealed class LocateRegistryTests
{
    private static readonly PeerKey Alice = new(IPAddress.Parse("10.0.0.1"), 3301);
    private static readonly PeerKey Bob = new(IPAddress.Parse("10.0.0.2"), 3302);
    private static readonly PeerKey Carol = new(IPAddress.Parse("10.0.0.3"), 3303);
    private static readonly PeerKey Dave = new(IPAddress.Parse("10.0.0.4"), 3304);

    private static readonly ContentId X = Wire(1);
    private static readonly ContentId Y = Wire(2);

    private static ContentId Wire(byte seed) => Tests.Protocol.Wire.Id(seed);

    private static List<LocatedSource> Locate(InMemoryPeerRegistry registry, ContentId id, PeerKey? exclude = null, int max = Limits.MaxSources)
    {
        var sources = new List<LocatedSource>();
        registry.Locate(id, exclude, max, sources);
        return sources;
    }

    [Fact]
    public void Whole_holders_come_first_in_registration_order_once_each_then_partial_holders_by_chunks_held()
    {
        var registry = new InMemoryPeerRegistry();
        var bob = registry.Register(Bob, [new FileEntry("b", 10, Y), new FileEntry("x1", 5, X)]);
        registry.Register(Alice, [new FileEntry("x", 5, X)]);
        registry.Add(bob, [new FileEntry("x2", 5, X)]);
        var carol = registry.Register(Carol, []);
        var dave = registry.Register(Dave, []);
        Assert.Equal(1, registry.Hold(carol, [new HoldItem(X, 5, 1)]));
        Assert.Equal(1, registry.Hold(dave, [new HoldItem(X, 5, 1)]));
        // Bob shares X whole; its HOLD of X does not list it twice.
        Assert.Equal(1, registry.Hold(bob, [new HoldItem(X, 5, 1)]));

        Assert.Equal(
        [
            new LocatedSource(Bob, 5, HeldSource.WholeFile),
            new LocatedSource(Alice, 5, HeldSource.WholeFile),
            new LocatedSource(Carol, 5, 1),
            new LocatedSource(Dave, 5, 1),
        ], Locate(registry, X));
        Assert.Equal([new LocatedSource(Bob, 10, HeldSource.WholeFile)], Locate(registry, Y));
        Assert.Empty(Locate(registry, Wire(3)));

        // Dave's held count grows past Carol's: most chunks first; Carol stays the first of equals.
        registry.Hold(dave, [new HoldItem(X, 5 * (ulong)Limits.ChunkSize, 3)]);
        registry.Hold(carol, [new HoldItem(X, 5 * (ulong)Limits.ChunkSize, 3)]);
        Assert.Equal([Bob, Alice, Carol, Dave], Locate(registry, X).Select(s => s.Peer));
        registry.Hold(dave, [new HoldItem(X, 5 * (ulong)Limits.ChunkSize, 4)]);
        Assert.Equal([Bob, Alice, Dave, Carol], Locate(registry, X).Select(s => s.Peer));
    }

    [Fact]
    public void The_asker_is_left_out_and_the_answer_stops_at_the_maximum()
    {
        var registry = new InMemoryPeerRegistry();
        registry.Register(Alice, [new FileEntry("x", 5, X)]);
        registry.Register(Bob, [new FileEntry("x", 5, X)]);
        var carol = registry.Register(Carol, []);
        registry.Hold(carol, [new HoldItem(X, 5, 1)]);

        Assert.Equal([Bob, Carol], Locate(registry, X, exclude: Alice).Select(s => s.Peer));
        Assert.Equal([Alice, Bob], Locate(registry, X, exclude: Carol).Select(s => s.Peer));
        Assert.Equal([Alice], Locate(registry, X, max: 1).Select(s => s.Peer));
        Assert.Empty(Locate(registry, X, max: 0));
    }

    [Fact]
    public void At_most_1000_sources_of_1200_holders()
    {
        var registry = new InMemoryPeerRegistry();
        for (var i = 0; i < 1200; i++)
        {
            registry.Register(new PeerKey(new IPAddress([10, 1, (byte)(i >> 8), (byte)i]), 1), [new FileEntry("x", 5, X)]);
        }

        var sources = Locate(registry, X);
        Assert.Equal(1000, sources.Count);
        Assert.Equal(new PeerKey(new IPAddress([10, 1, 0, 0]), 1), sources[0].Peer);
        Assert.Equal(new PeerKey(new IPAddress([10, 1, 3, 231]), 1), sources[^1].Peer);
    }

    [Fact]
    public void HOLD_counts_contents_withdraws_with_0_and_a_repeated_id_takes_its_last_item()
    {
        var registry = new InMemoryPeerRegistry();
        var alice = registry.Register(Alice, []);

        Assert.Equal(2, registry.Hold(alice, [new HoldItem(X, 5, 1), new HoldItem(Y, 5, 0), new HoldItem(Y, 5, 1)]));
        Assert.Equal(1, registry.Hold(alice, [new HoldItem(X, 5, 0), new HoldItem(Wire(7), 5, 0)]));
        Assert.Empty(Locate(registry, X));
        Assert.Equal([new LocatedSource(Alice, 5, 1)], Locate(registry, Y));
        Assert.Equal(1, registry.Hold(alice, [new HoldItem(Y, 5, 1), new HoldItem(Y, 5, 0), new HoldItem(X, 5, 1)]));
        Assert.Equal([Alice], Locate(registry, X).Select(s => s.Peer));
        Assert.Empty(Locate(registry, Y));
    }

    [Fact]
    public void A_HOLD_past_the_per_peer_cap_is_refused_whole_and_changes_nothing()
    {
        var registry = new InMemoryPeerRegistry(new RegistrationQuotas { MaxPartialPerPeer = 2 }, new SearchLimits());
        var alice = registry.Register(Alice, []);
        Assert.Equal(2, registry.Hold(alice, [new HoldItem(X, 5, 1), new HoldItem(Y, 5, 1)]));

        var refused = Assert.Throws<RequestRefusedException>(() => registry.Hold(alice, [new HoldItem(X, 5, 0), new HoldItem(Wire(3), 5, 1), new HoldItem(Wire(4), 5, 1)]));
        Assert.Equal(ErrorCode.Busy, refused.Code);
        Assert.Equal("--max-partial-per-peer", refused.Limit);
        Assert.Contains("would hold 3 contents in part, over the limit of 2 per peer", refused.Message, StringComparison.Ordinal);
        Assert.Single(Locate(registry, X));
        Assert.Empty(Locate(registry, Wire(3)));

        // Updating what it holds, or swapping one content for another, stays within the cap.
        Assert.Equal(2, registry.Hold(alice, [new HoldItem(X, 5, 0), new HoldItem(Wire(3), 5, 1), new HoldItem(Y, 5, 1)]));
    }

    [Fact]
    public void Holdings_are_charged_as_memory_and_given_back()
    {
        var registry = new InMemoryPeerRegistry();
        var alice = registry.Register(Alice, []);
        var before = registry.UsageOf(Alice.Address).Memory;
        registry.Hold(alice, [new HoldItem(X, 5, 1), new HoldItem(Y, 5, 1)]);
        Assert.True(registry.UsageOf(Alice.Address).Memory > before);
        registry.Unregister(alice);
        Assert.Equal((0, 0, 0), registry.UsageOf(Alice.Address));
    }

    [Fact]
    public void Holdings_go_with_the_registration_and_a_stale_token_changes_nothing()
    {
        var registry = new InMemoryPeerRegistry();
        var alice = registry.Register(Alice, []);
        registry.Hold(alice, [new HoldItem(X, 5, 1)]);

        var again = registry.Register(Alice, []);
        Assert.Empty(Locate(registry, X));
        Assert.Null(registry.Hold(alice, [new HoldItem(X, 5, 1)]));
        Assert.Empty(Locate(registry, X));

        registry.Hold(again, [new HoldItem(X, 5, 1)]);
        Assert.True(registry.Unregister(again));
        Assert.Empty(Locate(registry, X));
    }

    [Fact]
    public void One_LOCATE_looks_at_a_bounded_number_of_entries_however_often_a_content_is_registered()
    {
        var registry = new InMemoryPeerRegistry();
        // One peer registers the content under more names than a LOCATE looks at: a peer that
        // registers it after them is beyond the bound; one that holds it in part is still found
        // (partial holders have a bound of their own).
        var flood = Enumerable.Range(0, InMemoryPeerRegistry.MaxLocateWork + 10).Select(i => new FileEntry($"copy {i}", 5, X)).ToList();
        registry.Register(Alice, flood);
        registry.Register(Bob, [new FileEntry("x", 5, X)]);
        var carol = registry.Register(Carol, []);
        registry.Hold(carol, [new HoldItem(X, 5, 1)]);

        Assert.Equal([Alice, Carol], Locate(registry, X).Select(s => s.Peer));
        Assert.Equal([Carol], Locate(registry, X, exclude: Alice).Select(s => s.Peer));
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    [InlineData(4, false)]
    public void The_id_index_agrees_with_a_plain_model_through_add_remove_replace_unregister_and_compaction(int seed, bool compactNow)
    {
        var random = new Random(seed);
        var registry = new InMemoryPeerRegistry(minDeadToCompact: 1 + random.Next(30), rememberSearches: false);
        var peers = Enumerable.Range(0, 6).Select(i => new PeerKey(IPAddress.Parse($"10.0.0.{i + 1}"), (ushort)(3300 + i))).ToArray();
        var tokens = new RegistrationToken?[peers.Length];
        // The model: every live entry in registration sequence (peer, name, size, id).
        var sequence = new List<(int Peer, string Name, ulong Size, ContentId Id)>();
        var ids = Enumerable.Range(1, 4).Select(i => Wire((byte)i)).ToArray();
        FileEntry RandomFile() => new($"f{random.Next(8)}", (ulong)random.Next(1, 4), ids[random.Next(ids.Length)]);

        void Append(int peer, IEnumerable<FileEntry> files)
        {
            foreach (var file in files)
            {
                sequence.RemoveAll(e => e.Peer == peer && e.Name == file.Name);
                sequence.Add((peer, file.Name, file.Size, file.Id));
            }
        }

        for (var step = 0; step < 400; step++)
        {
            var p = random.Next(peers.Length);
            switch (random.Next(6))
            {
                case 0 or 1:
                    var files = Enumerable.Range(0, random.Next(5)).Select(_ => RandomFile()).ToList();
                    tokens[p] = registry.Register(peers[p], files);
                    sequence.RemoveAll(e => e.Peer == p);
                    Append(p, files);
                    break;
                case 2 when tokens[p] is { } token:
                    var added = Enumerable.Range(0, random.Next(4)).Select(_ => RandomFile()).ToList();
                    registry.Add(token, added);
                    Append(p, added);
                    break;
                case 3 when tokens[p] is { } token:
                    var name = $"f{random.Next(8)}";
                    registry.Remove(token, [name]);
                    sequence.RemoveAll(e => e.Peer == p && e.Name == name);
                    break;
                case 4 when tokens[p] is { } token:
                    registry.Unregister(token);
                    tokens[p] = null;
                    sequence.RemoveAll(e => e.Peer == p);
                    break;
                case 5 when compactNow:
                    registry.Compact();
                    break;
            }

            foreach (var id in ids)
            {
                var expected = sequence.Where(e => e.Id == id).DistinctBy(e => e.Peer)
                    .Select(e => new LocatedSource(peers[e.Peer], e.Size, HeldSource.WholeFile)).ToList();
                Assert.Equal(expected, Locate(registry, id));
            }
        }

        registry.WaitForCompactions();
    }

    [Fact]
    public void The_ring_link_costs_an_entry_nothing_its_record_stays_56_bytes()
    {
        Assert.Equal(56, System.Runtime.CompilerServices.Unsafe.SizeOf<P2PShare.Directory.Search.FileRecord>());
    }

    [Fact]
    public void The_id_index_survives_a_compaction_that_renumbers_every_entry()
    {
        var registry = new InMemoryPeerRegistry(minDeadToCompact: int.MaxValue, rememberSearches: false);
        var alice = registry.Register(Alice, [.. Enumerable.Range(0, 100).Select(i => new FileEntry($"a{i}", 1, i % 2 == 0 ? X : Y))]);
        registry.Register(Bob, [new FileEntry("x", 7, X)]);
        registry.Remove(alice, [.. Enumerable.Range(0, 100).Where(i => i % 2 == 0).Select(i => $"a{i}")]);
        Assert.Equal(50, registry.DeadEntryCount);

        registry.Compact();

        Assert.Equal(0, registry.DeadEntryCount);
        Assert.Equal([new LocatedSource(Bob, 7, HeldSource.WholeFile)], Locate(registry, X));
        Assert.Equal([new LocatedSource(Alice, 1, HeldSource.WholeFile)], Locate(registry, Y));
        registry.Add(alice, [new FileEntry("late", 3, X)]);
        Assert.Equal([Bob, Alice], Locate(registry, X).Select(s => s.Peer));
    }
}
