using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>Acceptance point 1: peers register and a search finds their files with the right size and id.</summary>
public sealed class SearchTests : IAsyncDisposable
{
    private const int MiB = 1024 * 1024;

    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Search_returns_every_registered_peer_with_its_files_sizes_and_content_ids()
    {
        var server = await _cluster.StartServerAsync();
        var layout = new Dictionary<string, (string Name, long Size)[]>
        {
            ["alice"] = [("alice-tune.bin", 1), ("alice-tune-long.bin", (3 * MiB) + 17)],
            ["bob"] = [("bob-tune.bin", MiB)],
            ["carol"] = [("carol-tune.ogg", 123_456), ("carol-notes.txt", 2048)],
        };
        var seed = 100;
        foreach (var (peer, files) in layout)
        {
            foreach (var (name, size) in files)
            {
                TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder(peer), name), size, seed++);
            }
        }

        var peers = await Task.WhenAll(layout.Keys.Select(name => _cluster.StartPeerAsync(server, name)));

        var results = await _cluster.SearchJsonAsync(server, "tune");

        Assert.Equal(3, results.Count);
        foreach (var peer in peers)
        {
            var found = Assert.Single(results, r => r.Port == peer.Port);
            Assert.Equal("127.0.0.1", found.Address);
            var expected = new List<SearchFile>();
            foreach (var (name, size) in layout[peer.Name].Where(f => f.Name.Contains("tune", StringComparison.Ordinal)))
            {
                expected.Add(new SearchFile(name, size, await TestFiles.ContentIdAsync(peer.SharedPath(name))));
            }

            Assert.Equal(
                expected.OrderBy(f => f.Name, StringComparer.Ordinal),
                found.Files.OrderBy(f => f.Name, StringComparer.Ordinal));
        }

        // Every word of a query must occur in the name; a query that matches nothing is an empty array.
        var carol = Assert.Single(await _cluster.SearchJsonAsync(server, "carol NOTES"));
        Assert.Equal(peers.Single(p => p.Name == "carol").Port, carol.Port);
        Assert.Equal("carol-notes.txt", Assert.Single(carol.Files).Name);
        Assert.Empty(await _cluster.SearchJsonAsync(server, "no-such-file"));

        // Without --json: a table that names every file.
        var table = await _cluster.RunAsync(["search", "tune", "--server", server.Address]);
        Assert.True(table.ExitCode == 0, table.Description);
        foreach (var name in layout.Values.SelectMany(files => files).Select(f => f.Name).Where(n => n.Contains("tune", StringComparison.Ordinal)))
        {
            Assert.Contains(name, table.Stdout, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("carol-notes.txt", table.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_from_a_peer_menu_over_a_pipe_finds_the_files_of_the_other_peers()
    {
        var server = await _cluster.StartServerAsync();
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("one"), "one-song.bin"), 10_000, 1);
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("two"), "two-song.bin"), 20_000, 2);
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("three"), "three-song.bin"), 30_000, 3);
        var started = await Task.WhenAll(
            _cluster.StartPeerAsync(server, "one", menu: true),
            _cluster.StartPeerAsync(server, "two"),
            _cluster.StartPeerAsync(server, "three"));
        var menu = started[0].Process;

        await menu.ExpectAsync(@"1 search\b.*6 quit");
        await menu.ExpectAsync(@"> $");
        await menu.WriteLineAsync("1");
        await menu.ExpectAsync(@"> $");
        await menu.WriteLineAsync("song");

        // The table has a row number column, then the name; a row is complete once its peer and closing border are out.
        var two = await menu.WaitForLineAsync($@"^\W*(?<row>\d+)\W+two-song\.bin\b.*127\.0\.0\.1:{started[1].Port}\b.*│\s*$", menu.Position);
        var three = await menu.WaitForLineAsync($@"^\W*(?<row>\d+)\W+three-song\.bin\b.*127\.0\.0\.1:{started[2].Port}\b.*│\s*$", menu.Position);
        Assert.NotEqual(two.Match.Groups["row"].Value, three.Match.Groups["row"].Value);
        Assert.Contains(started[1].Port.ToString(System.Globalization.CultureInfo.InvariantCulture), two.Line, StringComparison.Ordinal);
        Assert.Contains(started[2].Port.ToString(System.Globalization.CultureInfo.InvariantCulture), three.Line, StringComparison.Ordinal);

        menu.Position = Math.Max(two.End, three.End);
        await menu.ExpectAsync(@"> $");
        await menu.WriteLineAsync("6");
        Assert.Equal(0, await menu.WaitForExitAsync());
    }
}
