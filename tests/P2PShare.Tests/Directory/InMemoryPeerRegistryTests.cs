using System.Net;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Tests.Directory;

public sealed class InMemoryPeerRegistryTests
{
    private static readonly PeerKey Alice = new(IPAddress.Parse("10.0.0.1"), 3301);
    private static readonly PeerKey Bob = new(IPAddress.Parse("10.0.0.2"), 3302);
    private static readonly PeerKey Carol = new(IPAddress.Parse("10.0.0.3"), 3303);

    private static FileEntry File(string name, ulong size = 1) => new(name, size, ContentId.Zero);

    private static string[] Names(PeerFiles peer) => [.. peer.Files.Select(f => f.Name)];

    [Fact]
    public void Register_stores_files_and_counts_them()
    {
        var registry = new InMemoryPeerRegistry();

        var token = registry.Register(Alice, [File("a.txt"), File("b.txt")]);

        Assert.Equal(Alice, token.Peer);
        Assert.Equal(1, registry.PeerCount);
        Assert.Equal(2, registry.FileCount);
        var peer = Assert.Single(registry.Search("", null, 1000));
        Assert.Equal(Alice.Address, peer.Address);
        Assert.Equal(Alice.Port, peer.Port);
        Assert.Equal(["a.txt", "b.txt"], Names(peer));
    }

    [Fact]
    public void Register_keeps_the_last_entry_of_a_repeated_name()
    {
        var registry = new InMemoryPeerRegistry();

        registry.Register(Alice, [File("a.txt", 1), File("a.txt", 2)]);

        Assert.Equal(1, registry.FileCount);
        Assert.Equal(2UL, Assert.Single(Assert.Single(registry.Search("", null, 1000)).Files).Size);
    }

    [Fact]
    public void Register_again_replaces_the_old_files_and_makes_the_old_token_stale()
    {
        var registry = new InMemoryPeerRegistry();
        var old = registry.Register(Alice, [File("old1"), File("old2")]);

        var current = registry.Register(Alice, [File("new")]);

        Assert.NotEqual(old, current);
        Assert.Equal(1, registry.PeerCount);
        Assert.Equal(1, registry.FileCount);
        Assert.Equal(["new"], Names(Assert.Single(registry.Search("", null, 1000))));
        Assert.False(registry.Unregister(old));
        Assert.Null(registry.Add(old, [File("x")]));
        Assert.Null(registry.Remove(old, ["new"]));
        Assert.Equal(1, registry.FileCount);
        Assert.True(registry.Unregister(current));
        Assert.Equal(0, registry.PeerCount);
    }

    [Fact]
    public void Same_address_with_another_port_is_another_peer()
    {
        var registry = new InMemoryPeerRegistry();

        registry.Register(Alice, [File("a")]);
        registry.Register(Alice with { Port = 4000 }, [File("b")]);

        Assert.Equal(2, registry.PeerCount);
    }

    [Fact]
    public void Add_adds_new_names_and_replaces_existing_ones()
    {
        var registry = new InMemoryPeerRegistry();
        var token = registry.Register(Alice, [File("a", 1), File("b", 1)]);

        var count = registry.Add(token, [File("b", 2), File("c", 3), File("c", 4)]);

        Assert.Equal(3, count);
        Assert.Equal(3, registry.FileCount);
        var files = Assert.Single(registry.Search("", null, 1000)).Files;
        Assert.Equal([("a", 1UL), ("b", 2UL), ("c", 4UL)], files.Select(f => (f.Name, f.Size)));
    }

    [Fact]
    public void Remove_removes_names_and_ignores_unknown_ones()
    {
        var registry = new InMemoryPeerRegistry();
        var token = registry.Register(Alice, [File("a"), File("b"), File("c")]);

        var count = registry.Remove(token, ["a", "nope", "c", "a"]);

        Assert.Equal(1, count);
        Assert.Equal(1, registry.FileCount);
        Assert.Equal(["b"], Names(Assert.Single(registry.Search("", null, 1000))));
    }

    [Fact]
    public void Remove_of_every_file_keeps_the_peer_registered_but_unlisted()
    {
        var registry = new InMemoryPeerRegistry();
        var token = registry.Register(Alice, [File("a")]);

        Assert.Equal(0, registry.Remove(token, ["a"]));

        Assert.Equal(1, registry.PeerCount);
        Assert.Empty(registry.Search("", null, 1000));
        Assert.Equal(1, registry.Add(token, [File("b")]));
    }

    [Fact]
    public void Unregister_forgets_the_peer_and_its_files_once()
    {
        var registry = new InMemoryPeerRegistry();
        var token = registry.Register(Alice, [File("a"), File("b")]);
        registry.Register(Bob, [File("c")]);

        Assert.True(registry.Unregister(token));
        Assert.False(registry.Unregister(token));

        Assert.Equal(1, registry.PeerCount);
        Assert.Equal(1, registry.FileCount);
        Assert.Equal(Bob.Port, Assert.Single(registry.Search("", null, 1000)).Port);
        Assert.Null(registry.Add(token, [File("x")]));
    }

    [Fact]
    public void Search_requires_every_word_as_a_case_insensitive_substring()
    {
        var registry = new InMemoryPeerRegistry();
        registry.Register(Alice, [File("music/Jazz Standards.flac"), File("music/rock.mp3"), File("docs/jazzy-notes.txt"), File("Standard.txt")]);

        Assert.Equal(["music/Jazz Standards.flac", "docs/jazzy-notes.txt"], Names(Assert.Single(registry.Search("JAZZ", null, 1000))));
        Assert.Equal(["music/Jazz Standards.flac"], Names(Assert.Single(registry.Search("  standard\tjazz ", null, 1000))));
        Assert.Equal(["music/Jazz Standards.flac", "music/rock.mp3"], Names(Assert.Single(registry.Search("MUSIC/", null, 1000))));
        Assert.Empty(registry.Search("jazz rock", null, 1000));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(" \t\n ")]
    public void Empty_or_blank_query_matches_every_file(string query)
    {
        var registry = new InMemoryPeerRegistry();
        registry.Register(Alice, [File("a"), File("b")]);
        registry.Register(Bob, [File("c")]);

        var results = registry.Search(query, null, 1000);

        Assert.Equal(3, results.Sum(p => p.Files.Count));
    }

    [Fact]
    public void Equally_ranked_matches_list_peers_in_registration_order_with_files_in_the_order_given_and_skip_peers_without_matches()
    {
        var registry = new InMemoryPeerRegistry();
        registry.Register(Carol, [File("song-z"), File("song-a")]);
        registry.Register(Alice, [File("video")]);
        registry.Register(Bob, [File("song-b")]);

        // The matches rank alike (the same whole word, as many sources): registration order decides (PROTOCOL.md 8.2).
        var results = registry.Search("song", null, 1000);

        Assert.Equal([Carol.Port, Bob.Port], results.Select(p => p.Port));
        Assert.Equal(["song-z", "song-a"], Names(results[0]));
    }

    [Fact]
    public void Added_and_replaced_files_come_after_the_files_registered_before_them()
    {
        var registry = new InMemoryPeerRegistry();
        var alice = registry.Register(Alice, [File("song-1"), File("song-2")]);
        registry.Register(Bob, [File("song-3")]);

        registry.Add(alice, [File("song-4"), File("song-1", 9)]);

        var results = registry.Search("song", null, 1000);
        // Alice's first file comes first, so she is listed first, with all her files in sequence order.
        Assert.Equal([Alice.Port, Bob.Port], results.Select(p => p.Port));
        Assert.Equal(["song-2", "song-4", "song-1"], Names(results[0]));
        // With a limit, the first files of the sequence are taken: song-2, song-3, song-4.
        var limited = registry.Search("song", null, 3);
        Assert.Equal(["song-2", "song-4"], Names(limited[0]));
        Assert.Equal(["song-3"], Names(limited[1]));
    }

    [Fact]
    public void Search_leaves_out_the_excluded_peer()
    {
        var registry = new InMemoryPeerRegistry();
        registry.Register(Alice, [File("song")]);
        registry.Register(Bob, [File("song")]);

        var results = registry.Search("song", Alice, 1000);

        Assert.Equal(Bob, new PeerKey(Assert.Single(results).Address, results[0].Port));
        Assert.Equal(2, registry.Search("song", null, 1000).Count);
    }

    [Fact]
    public void Search_returns_at_most_max_files_in_total()
    {
        var registry = new InMemoryPeerRegistry();
        registry.Register(Alice, [.. Enumerable.Range(0, 600).Select(i => File($"a{i:D4}"))]);
        registry.Register(Bob, [.. Enumerable.Range(0, 600).Select(i => File($"b{i:D4}"))]);
        registry.Register(Carol, [File("c")]);

        var results = registry.Search("", null, Limits.MaxSearchResults);

        Assert.Equal(1000, results.Sum(p => p.Files.Count));
        Assert.Equal([600, 400], results.Select(p => p.Files.Count));
        Assert.Empty(registry.Search("", null, 0));
    }

    [Fact]
    public void Peer_key_normalizes_ipv4_mapped_addresses()
    {
        var mapped = new PeerKey(IPAddress.Parse("::ffff:127.0.0.1"), 3301);

        Assert.Equal(new PeerKey(IPAddress.Loopback, 3301), mapped);
        Assert.Equal("127.0.0.1:3301", mapped.ToString());
    }

    [Fact]
    public async Task Concurrent_registrations_and_searches_keep_the_counts_consistent()
    {
        var registry = new InMemoryPeerRegistry();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(
            () =>
            {
                for (var i = 0; i < 200; i++)
                {
                    var peer = new PeerKey(IPAddress.Loopback, (ushort)(1000 + (t * 200) + i));
                    var token = registry.Register(peer, [File("x"), File("y")]);
                    registry.Add(token, [File("z")]);
                    registry.Search("x", peer, 10);
                    if (i % 2 == 0)
                    {
                        registry.Unregister(token);
                    }
                }
            },
            TestContext.Current.CancellationToken)));

        Assert.Equal(800, registry.PeerCount);
        Assert.Equal(2400, registry.FileCount);
    }
}
