using System.Net;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

public sealed class DownloadPlanTests
{
    private static readonly ContentId IdA = ContentHasher.Compute([1]);
    private static readonly ContentId IdB = ContentHasher.Compute([2]);

    private static PeerFiles Peer(int port, params FileEntry[] files) => new(IPAddress.Loopback, (ushort)port, files);

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
    public void When_contents_differ_under_one_name_the_most_held_wins()
    {
        var results = new[]
        {
            Peer(1, new FileEntry("a", 1, IdB)),
            Peer(2, new FileEntry("a", 1, IdA)),
            Peer(3, new FileEntry("a", 1, IdA)),
        };

        var plan = DownloadPlan.Choose(results, "a", null, out _);

        Assert.Equal(IdA, plan!.Id);
        Assert.Equal([2, 3], plan.Sources.Select(s => s.EndPoint.Port));
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
}
