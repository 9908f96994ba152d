using System.Net;
using System.Text;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Tests.Directory;

/// <summary>
/// Issue 13, items 2 (one search stalled everyone) and 3 (search cache keys were unbounded):
/// what one SEARCH may cost, and what the cache may hold.
/// </summary>
public sealed class SearchLimitTests
{
    private static readonly PeerKey Alice = new(IPAddress.Parse("10.0.0.1"), 3301);

    private static FileEntry File(string name) => new(name, 1, ContentId.Zero);

    private static async Task<List<PeerFiles>> SearchAsync(InMemoryPeerRegistry registry, string query)
    {
        var sink = new CollectingSink();
        await registry.SearchAsync(Encoding.UTF8.GetBytes(query), null, Limits.MaxSearchResults, sink, TestContext.Current.CancellationToken);
        return sink.Peers;
    }

    [Fact]
    public async Task One_search_stalls_everyone()
    {
        // The query of the issue: 32,766 one-letter words and a rare two-letter word. Refused for
        // its length at once; at the length limit, its repeated words count once; of one-letter
        // words only, it has nothing to look up in the index, and it is answered after at most
        // the work budget, a slice at a time.
        var registry = new InMemoryPeerRegistry(new RegistrationQuotas(), new SearchLimits { MaxWork = 50_000 });
        for (var peer = 0; peer < 20; peer++)
        {
            registry.Register(new PeerKey(new IPAddress([10, 2, 0, (byte)peer]), 3300), [.. Enumerable.Range(0, 5000).Select(i => File($"peer {peer} file {i} abcdefghijklmnop.txt"))]);
        }

        const string Needle = "abcdefghijklmnopqrstuvwxyz qz";
        registry.Register(Alice, [File(Needle)]);
        var random = new Random(2);
        var huge = string.Join(' ', Enumerable.Range(0, 32_766).Select(_ => (char)('a' + random.Next(26)))) + " qz";
        var tooLong = await Assert.ThrowsAsync<RequestRefusedException>(() => SearchAsync(registry, huge));
        Assert.Equal(ErrorCode.BadRequest, tooLong.Code);
        Assert.Equal("--max-query-bytes", tooLong.Limit);

        // 511 one-letter words are 26 different ones at most: within the word limit.
        var pathological = string.Join(' ', Enumerable.Range(0, 511).Select(_ => (char)('a' + random.Next(26))));
        Assert.InRange(Encoding.UTF8.GetByteCount(pathological), 1000, 1024);
        // No part of two letters to go by: every entry is a candidate, 100,001 of them; the budget of 50,000
        // stops the search before it reaches the needle, which was registered last.
        Assert.Empty(await SearchAsync(registry, pathological));
        // The same query where the needle is within the budget finds it.
        var small = new InMemoryPeerRegistry(new RegistrationQuotas(), new SearchLimits { MaxWork = 50_000 });
        small.Register(Alice, [File(Needle)]);
        Assert.Single(await SearchAsync(small, pathological));
    }

    [Fact]
    public async Task A_name_check_costs_one_unit_of_work_per_query_word()
    {
        // 2,000 names that every one-letter query matches; with nothing for the index to look up,
        // each is checked. A budget of 900 checks 900 names for a one-word query, 180 for a
        // five-word one (each of its words searched in every name).
        var registry = new InMemoryPeerRegistry(new RegistrationQuotas(), new SearchLimits { MaxWork = 900 });
        registry.Register(Alice, [.. Enumerable.Range(0, 2000).Select(i => File($"a b c d e {i}.txt"))]);

        Assert.Equal(900, (await SearchAsync(registry, "a")).Sum(p => p.Files.Count));
        Assert.Equal(180, (await SearchAsync(registry, "a b c d e")).Sum(p => p.Files.Count));
        // Repeated words count once, in the cost as in the limit.
        Assert.Equal(450, (await SearchAsync(registry, "a A b B a")).Sum(p => p.Files.Count));
    }

    [Fact]
    public async Task Testing_candidates_against_a_words_lists_counts_against_the_work_budget()
    {
        // 'zq' is in 1,000 of 32,000 names, rare enough for its candidates to be tested one by
        // one against the 16 words that hold 'ab' (ab1 ... ab16, in every name): about 18 units
        // of work a candidate. A budget of 9,000 stops the search about halfway; the same
        // search with the default budget finds all 1,000.
        static string Name(int i) => $"{(i % 32 == 0 ? "zq" : "xy")} ab{1 + (i % 16)} file {i}.txt";
        var registry = new InMemoryPeerRegistry(new RegistrationQuotas(), new SearchLimits { MaxWork = 9_000 }, rememberSearches: false);
        var unlimited = new InMemoryPeerRegistry(rememberSearches: false);
        for (var peer = 0; peer < 16; peer++)
        {
            var key = new PeerKey(new IPAddress([10, 4, 0, (byte)peer]), 3300);
            List<FileEntry> files = [.. Enumerable.Range(peer * 2000, 2000).Select(i => File(Name(i)))];
            registry.Register(key, files);
            unlimited.Register(key, files);
        }

        Assert.Equal(1000, (await SearchAsync(unlimited, "zq ab")).Sum(p => p.Files.Count));
        var found = (await SearchAsync(registry, "zq ab")).Sum(p => p.Files.Count);
        Assert.InRange(found, 1, 800);
    }

    [Fact]
    public async Task A_query_with_more_different_words_than_the_limit_is_refused_and_repeated_words_count_once()
    {
        var registry = new InMemoryPeerRegistry(new RegistrationQuotas(), new SearchLimits { MaxQueryWords = 3 });
        registry.Register(Alice, [File("alpha beta gamma delta")]);

        Assert.Single(await SearchAsync(registry, "alpha ALPHA Alpha beta beta gamma"));
        var refused = await Assert.ThrowsAsync<RequestRefusedException>(() => SearchAsync(registry, "alpha beta gamma delta"));
        Assert.Equal("--max-query-words", refused.Limit);
        Assert.Equal(ErrorCode.BadRequest, refused.Code);
        Assert.Contains("4 different words", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_long_search_is_done_in_slices_and_finds_what_one_pass_finds()
    {
        // 100,000 entries, a query of one letter (nothing to look up: a scan of all of them): more than one slice.
        var registry = new InMemoryPeerRegistry(rememberSearches: false);
        for (var peer = 0; peer < 20; peer++)
        {
            registry.Register(new PeerKey(new IPAddress([10, 3, 0, (byte)peer]), 3300), [.. Enumerable.Range(0, 5000).Select(i => File($"p{peer} f{i}.bin"))]);
        }

        registry.Register(Alice, [File("z one"), File("two z")]);
        var sink = new CollectingSink();
        // The slices after the first are posted to a context this test runs by hand: on the thread
        // pool they could all be done before the first check looks (CI saw it under load).
        var context = new ManualContext();
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        int slicesAfterFirst;
        try
        {
            var search = registry.SearchAsync(Encoding.UTF8.GetBytes("z"), null, 1000, sink, TestContext.Current.CancellationToken);
            Assert.False(search.IsCompleted); // it gave way after its first slice
            Assert.Empty(sink.Peers);
            slicesAfterFirst = context.RunUntil(() => search.IsCompleted);
            await search;
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        Assert.InRange(slicesAfterFirst, 2, 10); // 100,002 names, a slice of work at a time

        Assert.Equal(["z one", "two z"], Assert.Single(sink.Peers).Files.Select(f => f.Name));
        Assert.Equal(sink.Peers.Count, registry.Search("z", null, 1000).Count);
    }

    [Fact]
    public void Search_cache_keys_are_unbounded()
    {
        // 3,000 different queries of 1,000 characters: the cache stays within its bytes, where it
        // used to keep every one of them (about 128 KB each for the queries of the issue).
        var registry = new InMemoryPeerRegistry(new RegistrationQuotas(), new SearchLimits { MaxCacheBytes = 256 * 1024 });
        registry.Register(Alice, [File("something to find")]);
        for (var i = 0; i < 3000; i++)
        {
            registry.Search($"{i} " + new string('x', 1000 - 1 - i.ToString(System.Globalization.CultureInfo.InvariantCulture).Length), null, 1000);
            Assert.InRange(registry.SearchCacheBytes, 0, 256 * 1024);
        }
    }

    /// <summary>Keeps what is posted to it until the test runs it.</summary>
    private sealed class ManualContext : SynchronizationContext
    {
        private readonly Queue<(SendOrPostCallback Callback, object? State)> _posted = new();

        public override void Post(SendOrPostCallback d, object? state) => _posted.Enqueue((d, state));

        /// <summary>Runs what was posted, one at a time, until <paramref name="done"/>; returns how many ran.</summary>
        public int RunUntil(Func<bool> done)
        {
            var ran = 0;
            while (!done())
            {
                Assert.True(_posted.TryDequeue(out var posted), "the search stopped without finishing");
                posted.Callback(posted.State);
                ran++;
            }

            return ran;
        }
    }

    private sealed class CollectingSink : ISearchResultSink
    {
        private List<FileEntry>? _files;

        public List<PeerFiles> Peers { get; } = [];

        public void BeginPeer(PeerKey peer, int fileCount)
        {
            _files = [];
            Peers.Add(new PeerFiles(peer.Address, peer.Port, _files));
        }

        public void AddFile(ReadOnlySpan<byte> utf8Name, ulong size, in ContentId id) => _files!.Add(new FileEntry(Encoding.UTF8.GetString(utf8Name), size, id));
    }
}
