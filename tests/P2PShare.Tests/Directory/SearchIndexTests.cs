using System.Net;
using System.Text;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Tests.Directory;

/// <summary>
/// The registry's index against the reference (<see cref="RegistryModel"/>): a plain model of
/// the registrations that answers every query by a full scan, ranked as PROTOCOL.md section 8.2
/// says (<see cref="SearchRule"/>: whole words, then prefixes, then matches inside a word; more
/// sources first; then registration order) and grouped per peer. Random corpora, random
/// queries, random churn; small caps, content shared under several names, and words that fall
/// on, across and inside word boundaries, so that ranking decides what most answers hold.
/// </summary>
public sealed class SearchIndexTests
{
    // Fragments that make names realistic and tricky: case differences, non-ASCII letters whose
    // case mapping is special (long s, Kelvin sign, dotless and dotted i, sharp s, final sigma),
    // characters outside the BMP (surrogate pairs), and repeated patterns.
    private static readonly string[] Fragments =
    [
        "Artist", "ALBUM", "track", "Live", "live", " - ", "03", "Title", ".mp3", ".MKV", "Show", ".S02E05", ".1080p", ".x264",
        "isos/", "ubuntu", "-24.04", "-desktop", "-amd64", ".iso", "Straße", "STRASSE", "ſtar", "K", "\u212Aelvin", "ı", "İstanbul",
        "Ωmega", "ωmega", "ΣΊΣΥΦΟΣ", "σίσυφος", "日本語", "ファイル", "😀", "𐐀𐐨", "ǅ", "ǆ", "ﬀ", "aaa", "aaaa", "abab", "ab", "a", "é", "É", "e\u0301",
        "/", " ", "_", "-", ".", "0", "1", "2",
        // Words that are whole in one name, a prefix or inside a word in another: digits that
        // run on, letters before them, separators inside words, non-ASCII letters.
        "title4567", "title45678", "subtitle4567", "Title12", "title123", "TITLE", "q3", "Q3", "sub", ".srt", "live.mp3", "LIVE",
        "2024-07", "2024", "07", "ß", "Ω", "ж", "Ж", "x", "é", "日本",
        // A combining mark (not a letter) whose upper case is a letter (Ι): a boundary is
        // decided on the name's own characters, not on their case-mapped ones.
        "\u0345",
    ];

    /// <summary>Words no generated name contains.</summary>
    private static readonly string[] MatchNothing = ["zzz", "title99", "qq3", "ωω", "mp4"];

    /// <summary>Content ids several entries share, so that sources go from one to many.</summary>
    private static readonly ContentId[] SharedIds = [.. Enumerable.Range(1, 8).Select(i => IdOf(i))];

    private static readonly PeerKey[] Peers = [.. Enumerable.Range(0, 40).Select(i => new PeerKey(new IPAddress([10, 0, (byte)(i / 10), (byte)i]), (ushort)(3300 + i)))];

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    [InlineData(4, true)]
    [InlineData(5, true)]
    public void Search_agrees_with_the_full_scan_through_registrations_replacements_removals_and_compactions(int seed, bool rememberSearches)
    {
        var random = new Random(seed);
        var registry = new InMemoryPeerRegistry(minDeadToCompact: 1 + random.Next(40), rememberSearches);
        // A few queries come back round after round, so remembered searches meet every kind of change.
        var repeated = new List<(string Query, PeerKey? Exclude, int MaxFiles)>();
        var model = new RegistryModel();
        var known = new List<FileEntry>();
        var tokens = new Dictionary<PeerKey, RegistrationToken>();

        for (var round = 0; round < 12; round++)
        {
            for (var change = 0; change < 25; change++)
            {
                var peer = Peers[random.Next(Peers.Length)];
                var registered = tokens.TryGetValue(peer, out var token);
                switch (random.Next(registered ? 5 : 1))
                {
                    case 0:
                        var files = RandomFiles(random, random.Next(0, 30), known);
                        tokens[peer] = registry.Register(peer, files);
                        model.Register(peer, files);
                        break;
                    case 1:
                        var added = RandomFiles(random, random.Next(0, 10), known);
                        Assert.Equal(model.Add(peer, added), registry.Add(token!, added));
                        break;
                    case 2:
                        var names = model.SomeNames(random, peer, random.Next(0, 6)).Append(RandomName(random)).ToList();
                        Assert.Equal(model.Remove(peer, names), registry.Remove(token!, names));
                        break;
                    case 3:
                        Assert.True(registry.Unregister(token!));
                        tokens.Remove(peer);
                        model.Unregister(peer);
                        break;
                    default:
                        Assert.Equal(model.FileCount(peer), registry.FileCountOf(token!));
                        break;
                }
            }

            if (round % 4 == 3)
            {
                registry.Compact();
                Assert.Equal(0, registry.DeadEntryCount);
            }

            Assert.Equal(model.PeerCount, registry.PeerCount);
            Assert.Equal(model.TotalFiles, registry.FileCount);
            var searches = RandomQueries(random, model, 150)
                .Select(query => (query, random.Next(3) == 0 ? Peers[random.Next(Peers.Length)] : (PeerKey?)null, RandomMaxFiles(random)))
                .ToList();
            if (repeated.Count == 0)
            {
                repeated.AddRange(searches.Take(30));
            }

            // The same queries again, each asked by another peer (whose own files are left out):
            // one remembered search serves every asker.
            var askedByOthers = repeated.Select(r => (r.Query, (PeerKey?)Peers[random.Next(Peers.Length)], r.MaxFiles)).ToList();
            foreach (var (query, exclude, maxFiles) in searches.Concat(repeated).Concat(askedByOthers).Concat(searches.Take(20)))
            {
                RankedSearchAssert.SameAnswer(model, registry, query, exclude, maxFiles, $"seed {seed}, round {round}");
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine(model.Coverage.ToString());
        model.Coverage.AssertCovered(atLeast: 20);
    }

    [Fact]
    public void Removed_and_replaced_files_never_show_up_again_before_or_after_compaction()
    {
        var registry = new InMemoryPeerRegistry(minDeadToCompact: int.MaxValue, rememberSearches: true);
        var alice = new PeerKey(IPAddress.Parse("10.0.0.1"), 3301);
        var bob = new PeerKey(IPAddress.Parse("10.0.0.2"), 3302);
        var token = registry.Register(alice, [File("shared song one.mp3", 1), File("shared song two.mp3", 1)]);
        registry.Register(bob, [File("shared song one.mp3", 2)]);

        registry.Add(token, [File("shared song one.mp3", 3)]);
        registry.Remove(token, ["shared song two.mp3"]);
        token = registry.Register(alice, [File("shared song one.mp3", 4), File("shared song one.mp3", 5)]);

        for (var pass = 0; pass < 2; pass++)
        {
            var results = registry.Search("SONG one", null, 1000);
            Assert.Equal([(bob.Port, 2UL), (alice.Port, 5UL)], results.SelectMany(p => p.Files.Select(f => (p.Port, f.Size))));
            Assert.Empty(registry.Search("two", null, 1000));
            registry.Compact();
        }

        Assert.True(registry.Unregister(token));
        Assert.Equal(2UL, Assert.Single(Assert.Single(registry.Search("shared song", null, 1000)).Files).Size);
    }

    [Fact]
    public void Memory_is_reclaimed_when_peers_come_and_go()
    {
        var registry = new InMemoryPeerRegistry(minDeadToCompact: 1000, rememberSearches: true);
        var peer = new PeerKey(IPAddress.Parse("10.0.0.1"), 3301);
        var files = Enumerable.Range(0, 500).Select(i => File($"some file number {i}.bin")).ToList();
        registry.Register(peer, files);
        var bytes = registry.TableBytes;

        for (var i = 0; i < 200; i++)
        {
            registry.Register(peer, files);
        }

        registry.WaitForCompactions();
        Assert.InRange(registry.DeadEntryCount, 0, 1000);
        Assert.InRange(registry.TableBytes, 0, 4 * bytes);
        Assert.Equal(500, Assert.Single(registry.Search("file number", null, 1000)).Files.Count);
    }

    [Fact]
    public void Results_frame_has_the_bytes_the_codec_writes_for_the_same_results()
    {
        var registry = new InMemoryPeerRegistry();
        registry.Register(new PeerKey(IPAddress.Parse("10.0.0.1"), 3301), [File("Artist - Album - 03 - Title.mp3", 7), File("ünïcödé 😀.txt", 8)]);
        registry.Register(new PeerKey(IPAddress.Parse("::ffff:10.0.0.2"), 3302), [File("Show.S02E05.1080p.x264.mkv", 9)]);
        registry.Register(new PeerKey(IPAddress.Parse("2001:db8::1"), 3303), [File("isos/ubuntu-24.04-desktop-amd64.iso", ulong.MaxValue)]);
        var builder = new ResultsFrameBuilder();

        foreach (var query in new[] { "", "t", "1080P", "nothing at all" })
        {
            builder.Start();
            Assert.True(registry.SearchAsync(Encoding.UTF8.GetBytes(query), null, 1000, builder, TestContext.Current.CancellationToken).AsTask().IsCompletedSuccessfully);
            var frame = builder.Finish().ToArray();
            builder.Release();

            Assert.Equal(MessageCodec.EncodeFrame(new ResultsMessage(registry.Search(query, null, 1000))), frame);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_search_into_a_results_frame_allocates_nothing_once_warm(bool rememberSearches)
    {
        var registry = new InMemoryPeerRegistry(minDeadToCompact: int.MaxValue, rememberSearches);
        var alice = new PeerKey(IPAddress.Parse("10.0.0.1"), 3301);
        var bob = new PeerKey(IPAddress.Parse("10.0.0.2"), 3302);
        registry.Register(alice, [File("Artist - Album - 03 - Title.mp3"), File("Artist - Album - 04 - Other.mp3")]);
        registry.Register(bob, [File("artist - album - 03 - title.flac"), File("ünïcödé album.txt")]);
        var builder = new ResultsFrameBuilder();
        // As the server has a query: the UTF-8 of the frame, not a string.
        var query = Encoding.UTF8.GetBytes("ALBUM 03");
        var frame = Search(keep: true); // the first search fills the cache and this thread's scratch

        Assert.Equal(0, ThreadAllocations.Fewest(3, () =>
        {
            for (var i = 0; i < 100; i++)
            {
                Search(keep: false);
            }
        }));
        Assert.Equal(MessageCodec.EncodeFrame(new ResultsMessage(registry.Search("album 03", alice, 1000))), frame);

        byte[]? Search(bool keep)
        {
            builder.Start();
            // Alice searching over her own connection: her files are left out. A short search
            // completes in its first slice, without waiting.
            Assert.True(registry.SearchAsync(query, alice, 1000, builder).AsTask().IsCompletedSuccessfully);
            var bytes = keep ? builder.Finish().ToArray() : null;
            builder.Release();
            return bytes;
        }
    }

    [Fact]
    public void Entries_read_in_place_from_REGISTER_and_ADD_register_exactly_what_their_messages_do()
    {
        var peer = new PeerKey(IPAddress.Parse("10.0.0.1"), 3301);
        var other = new PeerKey(IPAddress.Parse("10.0.0.2"), 3302);
        FileEntry[] registered =
        [
            new("Artist - Album - 03 - Title.mp3", 7, Id(1)),
            new("ünïcödé 😀 album.txt", 8, Id(2)),
            new("docs/Report 2024.pdf", 9, Id(3)),
            new("Artist - Album - 03 - Title.mp3", 10, Id(4)), // a repeated name: the last one wins
        ];
        FileEntry[] added = [new("Show.S02E05.1080p.mkv", 11, Id(5)), new("docs/Report 2024.pdf", 12, Id(6))];
        var fromMessages = new InMemoryPeerRegistry();
        var fromViews = new InMemoryPeerRegistry();

        fromMessages.Register(other, [File("another album.mp3")]);
        fromViews.Register(other, [File("another album.mp3")]);
        var messageToken = fromMessages.Register(peer, registered);
        var viewToken = fromViews.Register(peer, RegisterView.Parse(Payload(new RegisterMessage(peer.Port, registered))).Files);
        Assert.Equal(fromMessages.Add(messageToken, added), fromViews.Add(viewToken, AddView.Parse(Payload(new AddMessage(added))).Files));

        Assert.Equal(fromMessages.FileCountOf(messageToken), fromViews.FileCountOf(viewToken));
        foreach (var query in new[] { "", "album", "ALBUM 03", "😀", "ÜNÏCÖDÉ", "report", "s02e05", "nothing" })
        {
            Assert.Equal(Describe(fromMessages.Search(query, null, 1000)), Describe(fromViews.Search(query, null, 1000)));
        }

        static ContentId Id(byte value)
        {
            var bytes = new byte[Limits.IdLength];
            bytes[0] = value;
            return new ContentId(bytes);
        }

        static byte[] Payload(Message message) => MessageCodec.EncodeFrame(message)[Limits.FrameHeaderLength..];
    }

    private static FileEntry File(string name, ulong size = 1) => new(name, size, ContentId.Zero);

    private static string RandomName(Random random)
    {
        var builder = new StringBuilder();
        var parts = random.Next(1, 8);
        for (var i = 0; i < parts; i++)
        {
            builder.Append(Fragments[random.Next(Fragments.Length)]);
        }

        return builder.ToString();
    }

    /// <summary>
    /// Files with names that repeat within a request and across peers, and content that several
    /// entries share: a file another peer registered (under its name or another), or one of a
    /// few ids under a new name.
    /// </summary>
    private static List<FileEntry> RandomFiles(Random random, int count, List<FileEntry> known)
    {
        var files = new List<FileEntry>();
        for (var i = 0; i < count; i++)
        {
            var name = random.Next(3) == 0 && files.Count > 0 ? files[random.Next(files.Count)].Name : RandomName(random);
            FileEntry file;
            switch (random.Next(6))
            {
                case 0 when known.Count > 0:
                    file = known[random.Next(known.Count)];
                    break;
                case 1 when known.Count > 0:
                    file = known[random.Next(known.Count)] with { Name = name };
                    break;
                case 2 or 3:
                    file = new FileEntry(name, (ulong)random.Next(), SharedIds[random.Next(SharedIds.Length)]);
                    break;
                default:
                    var id = new byte[32];
                    random.NextBytes(id);
                    file = new FileEntry(name, (ulong)random.Next(), new ContentId(id));
                    break;
            }

            files.Add(file);
            known.Add(file);
        }

        return files;
    }

    /// <summary>Mostly caps that bite (the catalog has hundreds of files), now and then none, rarely the wire's 1000.</summary>
    private static int RandomMaxFiles(Random random) => random.Next(8) switch
    {
        0 => random.Next(0, 5),
        < 6 => random.Next(5, 31),
        _ => 1000,
    };

    private static ContentId IdOf(int value)
    {
        var bytes = new byte[Limits.IdLength];
        bytes[0] = (byte)value;
        bytes[31] = 0x5a;
        return new ContentId(bytes);
    }

    private static IEnumerable<string> RandomQueries(Random random, RegistryModel model, int count)
    {
        var names = model.AllNames();
        for (var i = 0; i < count; i++)
        {
            var words = new List<string>();
            var wordCount = random.Next(0, 4);
            for (var w = 0; w < wordCount; w++)
            {
                string word;
                if (names.Count > 0 && random.Next(4) != 0)
                {
                    // A piece of a registered name, often with its case changed.
                    var name = names[random.Next(names.Count)];
                    var start = random.Next(name.Length);
                    word = name.Substring(start, random.Next(1, Math.Min(8, name.Length - start) + 1));
                    word = random.Next(3) switch
                    {
                        0 => word.ToUpperInvariant(),
                        1 => word.ToLowerInvariant(),
                        _ => word,
                    };
                }
                else
                {
                    word = random.Next(5) == 0 ? MatchNothing[random.Next(MatchNothing.Length)] : Fragments[random.Next(Fragments.Length)];
                }

                word = word.Trim();
                if (word.Length > 0 && !word.Any(char.IsWhiteSpace))
                {
                    words.Add(word);
                    if (random.Next(6) == 0)
                    {
                        words.Add(random.Next(2) == 0 ? word : word.ToUpperInvariant()); // a repeated word
                    }
                }
            }

            yield return string.Join(random.Next(3) == 0 ? " \t " : " ", words);
        }
    }

    private static string Describe(IReadOnlyList<PeerFiles> peers) =>
        string.Join(" | ", peers.Select(p => $"{p.Address}:{p.Port} [{string.Join(", ", p.Files.Select(f => $"{f.Name}={f.Size}/{f.Id}"))}]"));
}
