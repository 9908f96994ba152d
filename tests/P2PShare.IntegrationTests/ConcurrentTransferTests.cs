using System.Diagnostics;
using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>
/// Acceptance point 3: a peer serves one peer while it downloads from another, and the two
/// transfers overlap in time. Uploads are rate-limited (8 MiB at 2 MiB/s, about 4 s each) so the
/// overlap is long enough to be seen in the transfers view of the peer in the middle.
/// </summary>
public sealed class ConcurrentTransferTests : IAsyncDisposable
{
    private const int MiB = 1024 * 1024;

    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_peer_uploads_and_downloads_at_the_same_time_through_its_menu()
    {
        var server = await _cluster.StartServerAsync();
        var one = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("peer1"), "one.bin"), 8 * MiB, 1);
        var three = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("peer3"), "three.bin"), 8 * MiB, 3);
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("peer2"), "two.txt"), 100, 2);
        var peers = await Task.WhenAll(
            _cluster.StartPeerAsync(server, "peer1", uploadLimit: 2 * MiB, menu: true),
            _cluster.StartPeerAsync(server, "peer2", menu: true),
            _cluster.StartPeerAsync(server, "peer3", uploadLimit: 2 * MiB));
        var (peer1, peer2) = (peers[0].Process, peers[1].Process);
        await peer1.ExpectAsync(@"> $");
        await peer2.ExpectAsync(@"> $");
        var clock = Stopwatch.StartNew();

        // Peer 2 downloads peer 1's file; then peer 1 downloads peer 3's file.
        await peer2.WriteLineAsync("2");
        await peer2.ExpectAsync(@"> $");
        await peer2.WriteLineAsync("one.bin");
        var download2 = (await peer2.ExpectAsync(@"download #(?<n>\d+) of one\.bin started")).Groups["n"].Value;
        await peer1.WriteLineAsync("2");
        await peer1.ExpectAsync(@"> $");
        await peer1.WriteLineAsync("three.bin");
        var download1 = (await peer1.ExpectAsync(@"download #(?<n>\d+) of three\.bin started")).Groups["n"].Value;

        // Peer 1's transfers view must show its upload of one.bin and its download of three.bin
        // both running at once. The upload appears once peer 2 has connected, so ask until it does.
        var views = new List<string>();
        await peer1.ExpectAsync(@"> $");
        while (true)
        {
            var start = peer1.Position;
            await peer1.WriteLineAsync("3");
            await peer1.ExpectAsync(@"> $");
            var view = peer1.Stdout.TextFrom(start)[..(peer1.Position - start)];
            views.Add(view);
            var lines = view.Split('\n');
            var header = lines.FirstOrDefault(l => l.Contains("state", StringComparison.OrdinalIgnoreCase));
            Assert.True(header is not null, $"the transfers view has no header with a state column:\n{view}");
            foreach (var column in new[] { "peer", "bytes", "speed", "progress" })
            {
                Assert.Contains(column, header, StringComparison.OrdinalIgnoreCase);
            }

            var upload = lines.FirstOrDefault(l => l.Contains("one.bin", StringComparison.Ordinal));
            var download = lines.FirstOrDefault(l => l.Contains("three.bin", StringComparison.Ordinal));
            Assert.True(download is not null, $"peer 1's transfers view does not list its download of three.bin:\n{view}");
            if (upload is not null && IsRunning(upload) && IsRunning(download))
            {
                TestContext.Current.TestOutputHelper?.WriteLine($"peer 1 uploading and downloading at once, after {clock.Elapsed.TotalSeconds:0.0} s:\n{view}");
                break;
            }

            Assert.True(
                IsRunning(download) && (upload is null || IsRunning(upload)),
                $"a transfer ended before the upload and the download were seen running together; views so far:\n{string.Join("\n", views)}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"no view showed both transfers running; views so far:\n{string.Join("\n", views)}");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        // Both downloads finish, verified, and the files are byte-identical.
        await peer2.WaitForLineAsync($@"download #{download2} of one\.bin finished.*verified", peer2.Position, TimeSpan.FromSeconds(30));
        await peer1.WaitForLineAsync($@"download #{download1} of three\.bin finished.*verified", peer1.Position, TimeSpan.FromSeconds(30));
        await TestFiles.AssertSameContentAsync(one, peers[1].DownloadedPath("one.bin"));
        await TestFiles.AssertSameContentAsync(three, peers[0].DownloadedPath("three.bin"));

        // Afterwards the view shows both as completed.
        var before = peer1.Stdout.Length;
        await peer1.WriteLineAsync("3");
        await peer1.WaitForLineAsync(@"one\.bin.*\bcompleted\b", before);
        await peer1.WaitForLineAsync(@"three\.bin.*\bcompleted\b", before);

        await peer1.WriteLineAsync("6");
        await peer2.WriteLineAsync("6");
        Assert.Equal(0, await peer1.WaitForExitAsync());
        Assert.Equal(0, await peer2.WaitForExitAsync());
    }

    private static bool IsRunning(string row) =>
        System.Text.RegularExpressions.Regex.IsMatch(row, @"\brunning\b");
}
