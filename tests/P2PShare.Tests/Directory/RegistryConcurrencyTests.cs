using System.Net;
using System.Text;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Tests.Directory;

/// <summary>
/// The registry under concurrent use: registrations, removals and searches from many threads
/// while compactions run in the background and searches go in slices. Whatever interleaving
/// happens, every answer is well formed and, once everything has settled, the registry holds
/// exactly what was registered.
/// </summary>
public sealed class RegistryConcurrencyTests
{
    [Fact]
    public async Task Searches_side_by_side_answer_what_each_answers_alone()
    {
        // Searches share the read lock: whatever one needs while it looks words up must be its
        // own (a list the word dictionary kept for every search made two of them throw).
        var registry = new InMemoryPeerRegistry(rememberSearches: false);
        for (var peer = 0; peer < 20; peer++)
        {
            registry.Register(new PeerKey(new IPAddress([10, 7, 0, (byte)peer]), 3300), [.. Enumerable.Range(0, 100).Select(i => new FileEntry($"artist{peer * 7 % 13}/album{i % 9}/title{i * 31 % 997} take{peer}.mp3", 1, ContentId.Zero))]);
        }

        string[] queries = ["artist1 title1", "title99", "album3 take1", "tist ake", "title9 mp3", "itle12", "artist12 album"];
        var alone = queries.ToDictionary(q => q, q => Describe(registry.Search(q, null, 1000)));
        var failures = await Task.WhenAll(Enumerable.Range(0, 8).Select(thread => Task.Run(() =>
        {
            var wrong = 0;
            for (var i = 0; i < 400; i++)
            {
                var query = queries[(i + thread) % queries.Length];
                wrong += Describe(registry.Search(query, null, 1000)) == alone[query] ? 0 : 1;
            }

            return wrong;
        })));
        Assert.All(failures, wrong => Assert.Equal(0, wrong));
        Assert.NotEqual("", alone["title99"]);
    }

    private static string Describe(IReadOnlyList<PeerFiles> peers) =>
        string.Join(";", peers.Select(p => $"{p.Address}:{p.Port}=" + string.Join(",", p.Files.Select(f => f.Name))));

    [Fact]
    public async Task Churn_searches_and_background_compactions_leave_exactly_what_was_registered()
    {
        // Compaction as soon as 50 entries are dead, slices of a few thousand entries: both
        // happen many times while the threads below run.
        var registry = new InMemoryPeerRegistry(minDeadToCompact: 50, rememberSearches: true);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var models = new Dictionary<PeerKey, HashSet<string>>[4];
        var churners = Enumerable.Range(0, models.Length).Select(thread => Task.Run(() => models[thread] = Churn(registry, thread, stop.Token))).ToArray();
        var searchers = Enumerable.Range(0, 2).Select(thread => Task.Run(async () =>
        {
            var searches = 0;
            var random = new Random(100 + thread);
            while (!stop.IsCancellationRequested)
            {
                var sink = new CheckingSink();
                var query = random.Next(3) switch { 0 => "", 1 => "file", _ => $"t{random.Next(4)} p{random.Next(8)}" };
                await registry.SearchAsync(Encoding.UTF8.GetBytes(query), null, random.Next(2) == 0 ? 1000 : 10, sink, CancellationToken.None);
                Assert.True(sink.Valid, sink.Problem);
                searches++;
            }

            return searches;
        })).ToArray();

        await Task.WhenAll(churners).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        Assert.All(await Task.WhenAll(searchers).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken), searches => Assert.True(searches > 0));
        registry.WaitForCompactions();

        var expected = models.SelectMany(m => m).SelectMany(p => p.Value.Select(name => $"{p.Key} {name}")).Order(StringComparer.Ordinal).ToList();
        var actual = registry.Search("", null, int.MaxValue).SelectMany(p => p.Files.Select(f => $"{new PeerKey(p.Address, p.Port)} {f.Name}")).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, actual);
        Assert.Equal(expected.Count, registry.FileCount);
        registry.Compact();
        Assert.Equal(0, registry.DeadEntryCount);
        Assert.Equal(expected.Count, registry.Search("file", null, int.MaxValue).Sum(p => p.Files.Count));
    }

    /// <summary>One thread's share of the churn, on peers of its own; returns what they hold at the end.</summary>
    private static Dictionary<PeerKey, HashSet<string>> Churn(InMemoryPeerRegistry registry, int thread, CancellationToken stop)
    {
        var random = new Random(thread);
        var model = new Dictionary<PeerKey, HashSet<string>>();
        var tokens = new Dictionary<PeerKey, RegistrationToken>();
        var peers = Enumerable.Range(0, 8).Select(p => new PeerKey(new IPAddress([10, 5, (byte)thread, (byte)p]), 3300)).ToArray();
        while (!stop.IsCancellationRequested)
        {
            var index = random.Next(peers.Length);
            var peer = peers[index];
            var names = Enumerable.Range(0, random.Next(1, 40)).Select(_ => $"file t{thread} p{index} n{random.Next(60)}.bin").ToList();
            switch (tokens.ContainsKey(peer) ? random.Next(4) : 0)
            {
                case 0:
                    tokens[peer] = registry.Register(peer, [.. names.Select(n => new FileEntry(n, 1, ContentId.Zero))]);
                    model[peer] = [.. names];
                    break;
                case 1:
                    registry.Add(tokens[peer], [.. names.Select(n => new FileEntry(n, 2, ContentId.Zero))]);
                    model[peer].UnionWith(names);
                    break;
                case 2:
                    registry.Remove(tokens[peer], names);
                    model[peer].ExceptWith(names);
                    break;
                default:
                    registry.Unregister(tokens[peer]);
                    tokens.Remove(peer);
                    model.Remove(peer);
                    break;
            }
        }

        return model;
    }

    /// <summary>Checks an answer as it comes: peers announced with as many files as follow, names that name their peer.</summary>
    private sealed class CheckingSink : ISearchResultSink
    {
        private PeerKey _peer;
        private int _left;

        public bool Valid => Problem is null && _left == 0;

        public string? Problem { get; private set; }

        public void BeginPeer(PeerKey peer, int fileCount)
        {
            if (_left != 0 || fileCount <= 0)
            {
                Problem ??= $"peer {peer} begun with {_left} files of the last one missing, or with {fileCount} files";
            }

            (_peer, _left) = (peer, fileCount);
        }

        public void AddFile(ReadOnlySpan<byte> utf8Name, ulong size, in ContentId id)
        {
            var name = Encoding.UTF8.GetString(utf8Name);
            var bytes = _peer.Address.GetAddressBytes();
            if (!name.Contains($" t{bytes[2]} p{bytes[3]} ", StringComparison.Ordinal))
            {
                Problem ??= $"{name} listed under {_peer}";
            }

            _left--;
        }
    }
}
