using System.Net;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Tests.Directory;

/// <summary>
/// Examples of the ranking of PROTOCOL.md section 8.2: matches where every query word is a
/// whole word come first, then those where every word at least begins a word, then the rest;
/// within each, content held by more live entries (the asker's own included) first; then
/// registration order. The first <c>maxFiles</c> in that order are the answer, grouped per
/// peer in the order of each peer's first ranked entry.
/// </summary>
public sealed class SearchRankingTests
{
    private static readonly PeerKey Alice = new(IPAddress.Parse("10.0.0.1"), 3301);
    private static readonly PeerKey Bob = new(IPAddress.Parse("10.0.0.2"), 3302);
    private static readonly PeerKey Carol = new(IPAddress.Parse("10.0.0.3"), 3303);
    private static readonly PeerKey Dave = new(IPAddress.Parse("10.0.0.4"), 3304);
    private static readonly PeerKey Erin = new(IPAddress.Parse("10.0.0.5"), 3305);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Whole_words_come_before_prefixes_before_matches_inside_a_word(bool rememberSearches)
    {
        var registry = new InMemoryPeerRegistry(rememberSearches);
        // Registered worst first, so registration order would give the opposite answer.
        registry.Register(Alice, [File("subtitle4567.srt", 1), File("title45678.mp3", 2), File("title4567 live.mp3", 3)]);

        for (var pass = 0; pass < 2; pass++)
        {
            Assert.Equal(["title4567 live.mp3", "title45678.mp3", "subtitle4567.srt"], NamesOf(registry.Search("title4567", null, 1000)));
            Assert.Equal(["title4567 live.mp3", "title45678.mp3", "subtitle4567.srt"], NamesOf(registry.Search("TITLE4567", null, 1000)));
        }

        // A name ranks by its worst word, and a word by its best occurrence.
        registry.Register(Bob, [File("title4567 alive.mp3", 4), File("title4567 lively.mp3", 5), File("subtitle4567 title4567 live.mp3", 6)]);
        Assert.Equal(
            ["title4567 live.mp3", "subtitle4567 title4567 live.mp3", "title4567 lively.mp3", "title4567 alive.mp3"],
            NamesOf(registry.Search("live title4567", null, 1000)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Two_different_lone_surrogates_are_two_words(bool rememberSearches)
    {
        // The index folds every surrogate to one code unit; the query's words are still told
        // apart as the runtime compares them. Found by the ranked property test: the second
        // word was dropped as a repeat of the first, so 😁 (D83D DE01) matched a query for the
        // halves of 😀 (D83D DE00). Only a query given as text can hold lone surrogates: UTF-8
        // from the wire cannot.
        var registry = new InMemoryPeerRegistry(rememberSearches);
        registry.Register(Alice, [File("\ud83d\ude01 other", 1), File("\ud83d\ude00 pair", 2)]);

        Assert.Equal(["\ud83d\ude00 pair"], NamesOf(registry.Search("\ud83d \ude00", null, 1000)));
        Assert.Equal(2, NamesOf(registry.Search("\ud83d \ud83d", null, 1000)).Count);
    }

    /// <summary>
    /// Where a word falls in a name, read from where the name, registered first, lands among two
    /// names registered after it: the query itself (a whole word) and the query run on by one
    /// character (a prefix). Before both: whole; between: prefix; after both: inside a word.
    /// Letters and digits (of any script) are word characters, everything else (separators,
    /// marks, each half of a surrogate pair) is not, and a boundary is where the two meet.
    /// </summary>
    [Theory]
    [InlineData("title4567 live.mp3", "title4567", SearchRule.Whole)]
    [InlineData("TITLE4567_live", "title4567", SearchRule.Whole)]
    [InlineData("title45678.mp3", "title4567", SearchRule.Prefix)]
    [InlineData("title4567b.txt", "title4567", SearchRule.Prefix)]
    [InlineData("subtitle4567.srt", "title4567", SearchRule.Inside)]
    [InlineData("x4567", "4567", SearchRule.Inside)]
    [InlineData("subtitle4567 title4567.srt", "title4567", SearchRule.Whole)]
    [InlineData("my title4567 lively.mp3", "title4567 live", SearchRule.Prefix)]
    [InlineData("concerts/2024-07-01 q3 live.mp3", "2024-07", SearchRule.Whole)]
    [InlineData("concerts/2024-07-01 q3 live.mp3", "LIVE.MP3", SearchRule.Whole)]
    [InlineData("concerts/2024-07-01 q3 alive.mp3", "live.mp3", SearchRule.Inside)]
    [InlineData("Q3.txt", "q", SearchRule.Prefix)]
    [InlineData("Straße.flac", "STRAßE", SearchRule.Whole)]
    [InlineData("café.mp3", "É", SearchRule.Inside)]
    [InlineData("Ω-live", "ω", SearchRule.Whole)]
    [InlineData("жук.txt", "Ж", SearchRule.Prefix)]
    [InlineData("日本語.txt", "日本", SearchRule.Prefix)]
    [InlineData("日本語.txt", "本語", SearchRule.Inside)]
    [InlineData("x😀y", "😀", SearchRule.Whole)]
    [InlineData("ωmega\u0345live", "live", SearchRule.Whole)] // U+0345 is a mark, though its upper case (Ι) is a letter
    [InlineData("\u0345mega live", "MEGA", SearchRule.Whole)]
    public void A_word_is_whole_a_prefix_or_inside_by_the_boundaries_around_it(string name, string query, int expected)
    {
        Assert.Equal(expected, SearchRule.ClassOf(name, SearchRule.Words(query))); // the reference agrees with the example
        var whole = query;
        var last = query[^1];
        var prefix = query + (char.IsLetterOrDigit(last) ? "x" : ".");
        Assert.Equal(SearchRule.Whole, SearchRule.ClassOf(whole, SearchRule.Words(query)));
        Assert.Equal(SearchRule.Prefix, SearchRule.ClassOf(prefix, SearchRule.Words(query)));

        var registry = new InMemoryPeerRegistry();
        registry.Register(Alice, [File(name, 1), File(whole, 2), File(prefix, 3)]);

        string[] order = expected switch
        {
            SearchRule.Whole => [name, whole, prefix],
            SearchRule.Prefix => [whole, name, prefix],
            _ => [whole, prefix, name],
        };
        Assert.Equal(order, NamesOf(registry.Search(query, null, 1000)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Within_a_class_content_held_by_more_peers_comes_first(bool rememberSearches)
    {
        var registry = new InMemoryPeerRegistry(rememberSearches);
        registry.Register(Alice, [File("song.mp3", 1)]);
        registry.Register(Bob, [File("my song.mp3", 2)]);
        var carol = registry.Register(Carol, [File("Song (copy).mp3", 2)]);
        registry.Register(Dave, [File("song.ogg", 2), File("songs.mp3", 2)]);

        // Content 2 has 3 peers (Dave, who holds it under two names, counts once), content 1 has one: Alice's
        // whole-word match goes after the other whole ones, but before Dave's prefix match,
        // whatever its sources.
        Assert.Equal(
            [(Bob, "my song.mp3"), (Carol, "Song (copy).mp3"), (Dave, "song.ogg"), (Dave, "songs.mp3"), (Alice, "song.mp3")],
            Flatten(registry.Search("song", Erin, 1000)));
        Assert.Equal(
            [(Bob, "my song.mp3"), (Carol, "Song (copy).mp3"), (Dave, "song.ogg"), (Alice, "song.mp3")],
            Flatten(registry.Search("song", Erin, 4)));

        // Only live entries count: with Carol gone content 2 has two peers, still more than
        // content 1; once Dave holds other content, one like content 1, and registration order decides.
        Assert.True(registry.Unregister(carol));
        registry.Compact();
        Assert.Equal([Bob, Dave, Alice], PeersOf(registry.Search("song", Erin, 1000)));
        registry.Register(Dave, [File("songs.mp3", 3)]);
        Assert.Equal(["song.mp3", "my song.mp3", "songs.mp3"], NamesOf(registry.Search("song", Erin, 1000)));
    }

    [Fact]
    public void Sources_are_peers_so_content_under_two_names_of_one_peer_counts_once()
    {
        var registry = new InMemoryPeerRegistry();
        registry.Register(Alice, [File("song a.mp3", 1)]);
        registry.Register(Bob, [File("song b.mp3", 2), File("song b (copy).mp3", 2)]);

        // One peer each: registration order decides.
        Assert.Equal([(Alice, "song a.mp3"), (Bob, "song b.mp3"), (Bob, "song b (copy).mp3")], Flatten(registry.Search("song", Carol, 1000)));

        // A second peer with Bob's content makes two sources.
        registry.Register(Dave, [File("other.mp3", 2)]);
        Assert.Equal([(Bob, "song b.mp3"), (Bob, "song b (copy).mp3"), (Alice, "song a.mp3")], Flatten(registry.Search("song", Carol, 1000)));
        Assert.Equal([(Bob, "song b.mp3")], Flatten(registry.Search("song", Carol, 1)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void One_peer_with_a_content_under_many_names_does_not_outrank_a_content_two_peers_hold(bool rememberSearches)
    {
        // Counted per entry, fifty copies of one content under fifty names would push every
        // other answer out of a capped result.
        var registry = new InMemoryPeerRegistry(rememberSearches);
        registry.Register(Erin, [.. Enumerable.Range(0, 50).Select(i => File($"song spam {i}.mp3", 9))]);
        registry.Register(Alice, [File("song hit.mp3", 1)]);
        registry.Register(Bob, [File("song hit.mp3", 1)]);

        Assert.Equal([(Alice, "song hit.mp3"), (Bob, "song hit.mp3")], Flatten(registry.Search("song", Carol, 2)));
    }

    [Fact]
    public void A_file_held_by_three_peers_comes_before_one_held_by_one()
    {
        var registry = new InMemoryPeerRegistry();
        registry.Register(Alice, [File("title4567 live.mp3", 1)]);
        registry.Register(Bob, [File("title4567 live (bob).mp3", 2)]);
        registry.Register(Carol, [File("title4567 live.flac", 2)]);
        registry.Register(Dave, [File("title4567 live.mp3", 2)]);

        var results = registry.Search("title4567 live", null, 1000);

        Assert.Equal(["title4567 live (bob).mp3", "title4567 live.flac", "title4567 live.mp3", "title4567 live.mp3"], NamesOf(results));
        Assert.Equal([Bob, Carol, Dave, Alice], PeersOf(results));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_capped_answer_keeps_the_best_ranked_not_the_first_registered(bool rememberSearches)
    {
        var registry = new InMemoryPeerRegistry(rememberSearches);
        registry.Register(Alice, [.. Enumerable.Range(0, 10).Select(i => File($"subtitle4567 part {i}.srt", (byte)(10 + i)))]);
        registry.Register(Bob, [File("title45678.mp3", 2), File("title4567.mp3", 3)]);
        registry.Register(Carol, [File("title4567 live.mp3", 4)]);

        for (var pass = 0; pass < 2; pass++)
        {
            Assert.Equal([(Bob, "title4567.mp3"), (Bob, "title45678.mp3"), (Carol, "title4567 live.mp3")], Flatten(registry.Search("title4567", null, 3)));
            Assert.Equal(["title4567.mp3", "title45678.mp3", "title4567 live.mp3", "subtitle4567 part 0.srt"], NamesOf(registry.Search("title4567", null, 4)));
            Assert.Equal([(Bob, "title4567.mp3")], Flatten(registry.Search("title4567", null, 1)));
        }

        // A better match registered later takes a place in the answer the cache remembered.
        registry.Register(Dave, [File("title4567", 5)]);
        Assert.Equal([(Bob, "title4567.mp3"), (Carol, "title4567 live.mp3"), (Dave, "title4567")], Flatten(registry.Search("title4567", null, 3)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_askers_own_files_are_left_out_but_count_as_sources(bool rememberSearches)
    {
        var registry = new InMemoryPeerRegistry(rememberSearches);
        registry.Register(Bob, [File("song one.mp3", 1)]);
        registry.Register(Carol, [File("song two.mp3", 2)]);
        var alice = registry.Register(Alice, [File("my song.mp3", 2), File("song three.mp3", 3)]);

        // Content 2 has two entries, Carol's and Alice's: Carol's file goes first, for Alice too.
        Assert.Equal([(Carol, "song two.mp3"), (Bob, "song one.mp3")], Flatten(registry.Search("song", Alice, 1000)));
        Assert.Equal([(Carol, "song two.mp3"), (Alice, "my song.mp3"), (Alice, "song three.mp3"), (Bob, "song one.mp3")], Flatten(registry.Search("song", null, 1000)));
        Assert.Equal([(Carol, "song two.mp3")], Flatten(registry.Search("song", Alice, 1)));

        // Once Alice has gone, content 2 has one entry like content 1: registration order again.
        Assert.True(registry.Unregister(alice));
        Assert.Equal([(Bob, "song one.mp3"), (Carol, "song two.mp3")], Flatten(registry.Search("song", Alice, 1000)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Peers_are_grouped_in_the_order_of_their_first_ranked_entry(bool rememberSearches)
    {
        var registry = new InMemoryPeerRegistry(rememberSearches);
        var bob = registry.Register(Bob, [File("subtitle4567.srt", 1), File("title45678.avi", 2)]);
        registry.Register(Alice, [File("title4567.mp3", 3), File("subtitle4567 extra.srt", 4)]);
        registry.Add(bob, [File("title4567.mkv", 5)]);

        // Ranked: Alice's title4567.mp3, Bob's title4567.mkv (whole, in registration order),
        // Bob's title45678.avi (prefix), Bob's subtitle4567.srt, Alice's subtitle4567 extra.srt (inside).
        var results = registry.Search("title4567", null, 1000);
        Assert.Equal([Alice, Bob], PeersOf(results));
        Assert.Equal(["title4567.mp3", "subtitle4567 extra.srt"], results[0].Files.Select(f => f.Name));
        Assert.Equal(["title4567.mkv", "title45678.avi", "subtitle4567.srt"], results[1].Files.Select(f => f.Name));

        var capped = registry.Search("title4567", null, 3);
        Assert.Equal([Alice, Bob], PeersOf(capped));
        Assert.Equal(["title4567.mp3"], capped[0].Files.Select(f => f.Name));
        Assert.Equal(["title4567.mkv", "title45678.avi"], capped[1].Files.Select(f => f.Name));

        // ADD of a registered name moves it to the end of the registration order: Bob's
        // title4567.mkv (now after Alice's title4567.mp3) comes before it all the same once a
        // second peer holds its content, and Bob's group comes first.
        registry.Add(bob, [File("title4567.mkv", 5)]);
        registry.Register(Carol, [File("title4567 (carol).mkv", 5)]);
        results = registry.Search("title4567", null, 1000);
        Assert.Equal([Bob, Carol, Alice], PeersOf(results));
        Assert.Equal(["title4567.mkv", "title45678.avi", "subtitle4567.srt"], results[0].Files.Select(f => f.Name));
        Assert.Equal(["title4567 (carol).mkv"], results[1].Files.Select(f => f.Name));
        Assert.Equal(["title4567.mp3", "subtitle4567 extra.srt"], results[2].Files.Select(f => f.Name));
    }

    [Fact]
    public void An_empty_query_ranks_by_sources_then_registration_order()
    {
        var registry = new InMemoryPeerRegistry();
        registry.Register(Alice, [File("a.txt", 1), File("b.txt", 2)]);
        registry.Register(Bob, [File("d.txt", 3), File("c.txt", 2)]);

        // Ranked b, c (content 2 has two entries), a, d; grouped per peer.
        Assert.Equal([(Alice, "b.txt"), (Alice, "a.txt"), (Bob, "c.txt"), (Bob, "d.txt")], Flatten(registry.Search("", null, 1000)));
        Assert.Equal([(Alice, "b.txt"), (Bob, "c.txt")], Flatten(registry.Search("", null, 2)));
        Assert.Equal([(Bob, "c.txt"), (Bob, "d.txt")], Flatten(registry.Search(" \t", Alice, 1000)));
    }

    private static FileEntry File(string name, byte content)
    {
        var id = new byte[Limits.IdLength];
        id[0] = content;
        id[Limits.IdLength - 1] = 0xa5;
        return new FileEntry(name, (ulong)name.Length, new ContentId(id));
    }

    private static List<string> NamesOf(IReadOnlyList<PeerFiles> results) => [.. results.SelectMany(p => p.Files.Select(f => f.Name))];

    private static List<PeerKey> PeersOf(IReadOnlyList<PeerFiles> results) => [.. results.Select(p => new PeerKey(p.Address, p.Port))];

    private static List<(PeerKey Peer, string Name)> Flatten(IReadOnlyList<PeerFiles> results) =>
        [.. results.SelectMany(p => p.Files.Select(f => (new PeerKey(p.Address, p.Port), f.Name)))];
}
