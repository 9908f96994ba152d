using System.Net;
using P2PShare.IntegrationTests.Infrastructure;
using P2PShare.Protocol;

namespace P2PShare.IntegrationTests;

/// <summary>
/// The ranking of PROTOCOL.md 8.2 through a real <c>p2pshare server</c> and <c>p2pshare search
/// --json</c>, where the 1000-entry cap makes it matter: sources are peers, so one peer cannot
/// push everyone else out of an answer by registering one content under many names.
/// </summary>
public sealed class SearchRankingProcessTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Content_two_peers_hold_comes_before_a_thousand_copies_of_one_peer()
    {
        var server = await _cluster.StartServerAsync(arguments: ["--log-level", "Warning"]);
        var endPoint = new IPEndPoint(IPAddress.Loopback, server.Port);
        using var spammer = await BlockingDirectoryRequests.RegisterAsync(endPoint, new IPAddress([127, 16, 0, 1]), [.. Enumerable.Range(0, 1000).Select(i => new FileEntry($"song spam {i:0000}.mp3", 1, Id(9)))], Patience);
        using var alice = await BlockingDirectoryRequests.RegisterAsync(endPoint, new IPAddress([127, 16, 0, 2]), [new FileEntry("song hit.mp3", 2, Id(1))], Patience);
        using var bob = await BlockingDirectoryRequests.RegisterAsync(endPoint, new IPAddress([127, 16, 0, 3]), [new FileEntry("song hit.mp3", 2, Id(1))], Patience);

        // 1,002 matches, all the word whole: the content of two peers first, in registration
        // order, then the first 998 of the one peer's thousand copies.
        var found = await _cluster.SearchJsonAsync(server, "song");
        Assert.Equal(1000, found.Sum(p => p.Files.Count));
        Assert.Equal(["127.16.0.2", "127.16.0.3", "127.16.0.1"], found.Select(p => p.Address));
        Assert.Equal("song hit.mp3", Assert.Single(found[0].Files).Name);
        Assert.Equal(998, found[2].Files.Count);
        Assert.Equal("song spam 0000.mp3", found[2].Files[0].Name);
    }

    private static ContentId Id(byte b)
    {
        var bytes = new byte[32];
        bytes[0] = b;
        return new ContentId(bytes);
    }
}
