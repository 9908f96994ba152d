using System.Net;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

public sealed class DownloadPlanTests
{
    private static readonly ContentId IdA = ContentHasher.Compute([1]);
    private static readonly ContentId IdB = ContentHasher.Compute([2]);

    private static PeerFiles Peer(int port, params FileEntry[] files) => new(IPAddress.Loopback, (ushort)port, files);

    private static PeerFiles PeerAt(string address, int port, params FileEntry[] files) => new(IPAddress.Parse(address), (ushort)port, files);

    [Fact]
    public void Takes_every_peer_that_holds_the_exact_name_and_content()
    {
        var results = new[]
        {
            Peer(1, new FileEntry("song.mp3", 1, IdA), new FileEntry("song.mp3.bak", 1, IdA)),
            Peer(2, new FileEntry("song.mp3", 1, IdA)),
            Peer(3, new FileEntry("other song.mp3", 1, IdB)),
        };

        var plan = DownloadPlan.Choose(results, "song.mp3", null, out var error);

        Assert.Null(error);
        Assert.NotNull(plan);
        Assert.Equal(IdA, plan.Id);
        Assert.Equal([1, 2], plan.Sources.Select(s => s.EndPoint.Port));
    }

    [Fact]
    public void When_contents_differ_under_one_name_the_one_held_at_most_addresses_wins_and_the_others_follow()
    {
        var results = new[]
        {
            PeerAt("10.0.0.1", 1, new FileEntry("a", 1, IdB)),
            PeerAt("10.0.0.2", 2, new FileEntry("a", 1, IdA)),
            PeerAt("10.0.0.3", 3, new FileEntry("a", 1, IdA)),
        };

        var plan = DownloadPlan.Choose(results, "a", null, out _);

        Assert.Equal(IdA, plan!.Id);
        Assert.Equal(2, plan.AddressCount);
        Assert.Equal([2, 3], plan.Sources.Select(s => s.EndPoint.Port));
        var next = Assert.Single(plan.Fallbacks);
        Assert.Equal(IdB, next.Id);
        Assert.Equal([1], next.Sources.Select(s => s.EndPoint.Port));
    }

    [Fact]
    public void An_id_selects_the_content_under_any_name()
    {
        var results = new[] { Peer(1, new FileEntry("x", 1, IdA)), Peer(2, new FileEntry("y", 1, IdB)) };

        var plan = DownloadPlan.Choose(results, "whatever", IdB, out _);

        Assert.Equal("y", plan!.Name);
        Assert.Equal([2], plan.Sources.Select(s => s.EndPoint.Port));
    }

    [Fact]
    public void Nothing_found_says_what_was_looked_for()
    {
        var plan = DownloadPlan.Choose([Peer(1, new FileEntry("song.mp3.bak", 1, IdA))], "song.mp3", null, out var error);

        Assert.Null(plan);
        Assert.Contains("song.mp3", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_peer_with_the_content_under_another_name_is_a_source_asked_by_its_own_name()
    {
        var results = new[]
        {
            Peer(1, new FileEntry("song.mp3", 1, IdA)),
            Peer(2, new FileEntry("music/copy of song.mp3", 1, IdA)),
        };

        var plan = DownloadPlan.Choose(results, "song.mp3", null, out _);

        Assert.Equal(["song.mp3", "music/copy of song.mp3"], plan!.Sources.Select(s => s.FileName));
        Assert.Equal("127.0.0.1:2", plan.Sources[1].Name);
    }

    [Fact]
    public void A_name_can_be_taken_over_from_one_address__contents_are_ranked_by_distinct_addresses_not_ports()
    {
        // 200 registrations of a fake content from one address (different ports), the real one
        // from two other addresses.
        var results = Enumerable.Range(1, 200)
            .Select(port => PeerAt("10.0.0.1", port, new FileEntry("ubuntu.iso", 1, IdB)))
            .Append(PeerAt("10.0.0.2", 3300, new FileEntry("ubuntu.iso", 1, IdA)))
            .Append(PeerAt("10.0.0.3", 3300, new FileEntry("ubuntu.iso", 1, IdA)))
            .ToList();

        var plan = DownloadPlan.Choose(results, "ubuntu.iso", null, out _);

        Assert.Equal(IdA, plan!.Id);
    }

    [Fact]
    public void A_name_can_be_taken_over_from_one_address__an_IPv6_64_counts_as_one_address()
    {
        // Two hosts of one /64 with the fake content, against one host elsewhere with the real one.
        var results = new[]
        {
            PeerAt("2001:db8:1:2::1", 1, new FileEntry("a", 1, IdB)),
            PeerAt("2001:db8:1:2::2", 1, new FileEntry("a", 1, IdB)),
            PeerAt("2001:db8:9:9::1", 1, new FileEntry("a", 1, IdA)),
            PeerAt("192.0.2.1", 1, new FileEntry("a", 1, IdA)),
        };

        var plan = DownloadPlan.Choose(results, "a", null, out _);

        Assert.Equal(IdA, plan!.Id);
    }

    [Fact]
    public void A_name_can_be_taken_over_from_one_address__sources_take_turns_by_address()
    {
        var results = Enumerable.Range(1, 5).Select(port => PeerAt("10.0.0.1", port, new FileEntry("a", 1, IdA)))
            .Append(PeerAt("10.0.0.2", 9, new FileEntry("a", 1, IdA)))
            .Append(PeerAt("10.0.0.3", 9, new FileEntry("a", 1, IdA)))
            .ToList();

        var plan = DownloadPlan.Choose(results, "a", null, out _);

        Assert.Equal(["10.0.0.1:1", "10.0.0.2:9", "10.0.0.3:9", "10.0.0.1:2", "10.0.0.1:3", "10.0.0.1:4", "10.0.0.1:5"], plan!.Sources.Select(s => s.Name));
    }

    [Fact]
    public void Entries_that_cannot_be_fetched_come_last_whatever_holds_them()
    {
        var empty = new FileEntry("a", 0, DownloadPlan.EmptyFileId);
        var falseEmpty = new FileEntry("a", 0, IdB);
        var huge = new FileEntry("a", DownloadPlan.MaxFetchableSize + 1, IdB);
        var results = new[]
        {
            PeerAt("10.0.0.1", 1, falseEmpty),
            PeerAt("10.0.0.2", 1, falseEmpty),
            PeerAt("10.0.0.3", 1, huge),
            PeerAt("10.0.0.4", 1, huge),
            PeerAt("10.0.0.5", 1, empty),
        };

        var plan = DownloadPlan.Choose(results, "a", null, out _);

        Assert.Equal(DownloadPlan.EmptyFileId, plan!.Id);
        Assert.Null(plan.Refusal);
        Assert.All(plan.Fallbacks, content => Assert.NotNull(content.Refusal));
        Assert.Equal([0UL, DownloadPlan.MaxFetchableSize + 1], plan.Fallbacks.Select(c => c.Size));
    }

    [Fact]
    public void The_largest_fetchable_size_is_524287_chunks_what_one_HASH_LIST_frame_carries()
    {
        Assert.Equal(549_754_765_312UL, DownloadPlan.MaxFetchableSize);
        // Its hash list fills a frame: one digest more would not fit.
        var longestList = 8 + ((long)(DownloadPlan.MaxFetchableSize / Limits.ChunkSize) * Limits.IdLength);
        Assert.InRange(longestList, Limits.MaxControlPayload - Limits.IdLength + 1, Limits.MaxControlPayload);
        Assert.Null(new DownloadPlan("a", DownloadPlan.MaxFetchableSize, IdA, []).Refusal);
        Assert.StartsWith("too large", new DownloadPlan("a", DownloadPlan.MaxFetchableSize + 1, IdA, []).Refusal, StringComparison.Ordinal);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", DownloadPlan.EmptyFileId.ToString());
    }
}
