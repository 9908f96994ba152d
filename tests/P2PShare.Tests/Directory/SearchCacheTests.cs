using P2PShare.Directory.Search;

namespace P2PShare.Tests.Directory;

/// <summary>What the search cache keeps of a search, and what it will not keep.</summary>
public sealed class SearchCacheTests
{
    [Fact]
    public void A_search_with_more_matches_than_the_bound_is_not_remembered_and_forgets_what_was()
    {
        var cache = new SearchCache(64L << 20);
        cache.Remember("q3", 1000, [1, 2, 3], [0, 1, 2], 10);
        var found = Assert.IsType<SearchCache.Entry>(cache.Find("q3", 1000));
        Assert.Equal([1, 2, 3], found.Ids);
        Assert.Equal([0, 1, 2], found.Ranks);

        // One match too many: not kept, and the smaller answer remembered before is gone too
        // (it would send the next search on from a point long past).
        var tooMany = Enumerable.Range(0, SearchCache.MaxMatches + 1).ToArray();
        cache.Remember("q3", 1000, tooMany, new byte[tooMany.Length], tooMany.Length);
        Assert.Null(cache.Find("q3", 1000));

        var most = Enumerable.Range(0, SearchCache.MaxMatches).ToArray();
        cache.Remember("q3", 1000, most, new byte[most.Length], most.Length);
        Assert.Equal(SearchCache.MaxMatches, cache.Find("q3", 1000)!.Ids.Length);
    }

    [Fact]
    public void Ranks_must_come_one_per_id()
    {
        var cache = new SearchCache(1 << 20);
        Assert.Throws<ArgumentException>(() => cache.Remember("q", 1000, [1, 2], [0], 5));
    }
}
