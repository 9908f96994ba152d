using System.Globalization;
using System.Text.RegularExpressions;
using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>
/// <c>p2pshare demo</c> as a user runs it: both phases (peer 1 uploading while it downloads, then
/// issue 14's flash crowd) complete, every copy is verified, the temporary folder is removed and
/// the exit code is 0.
/// </summary>
public sealed class DemoTests : IAsyncDisposable
{
    private const int Downloaders = 4;

    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task The_demo_verifies_every_copy_shows_the_crowd_serving_itself_and_cleans_up()
    {
        // About 12 s on an idle 2-core machine; the limit leaves room for a loaded one.
        var result = await _cluster.RunAsync(["demo"], _cluster.Folder("demo"), TimeSpan.FromSeconds(150));
        TestContext.Current.TestOutputHelper?.WriteLine(result.Stdout);

        Assert.True(result.ExitCode == 0, result.Description);
        var stdout = result.Stdout;
        Assert.Contains("peer 1 uploaded and downloaded at the same time", stdout, StringComparison.Ordinal);
        Assert.Contains("demo complete: every file verified", stdout, StringComparison.Ordinal);

        // The flash crowd's table: one row for the seeder, one verified row per downloader.
        Assert.Matches(@"│ peer +│ upload limit │ uploaded │ received │ from the seeder │ from the crowd │", stdout);
        Assert.Matches(@"│ seeder +│", stdout);
        for (var i = 1; i <= Downloaders; i++)
        {
            Assert.Matches($@"│ downloader {i} +│.*│ yes, byte-identical +│", stdout);
        }

        // The downloaders served each other: the seeder sent fewer than one copy per downloader.
        var summary = Regex.Match(stdout, @"the seeder uploaded (?<seeder>[\d.]+ \S+) \((?<copies>[\d.]+)× the file\); the crowd uploaded (?<crowd>[\d.]+ \S+) to each other");
        Assert.True(summary.Success, $"no flash-crowd summary line:\n{result.Description}");
        var copies = double.Parse(summary.Groups["copies"].Value, CultureInfo.InvariantCulture);
        Assert.True(copies < Downloaders, $"the seeder sent {copies} copies to {Downloaders} downloaders: the crowd did not serve itself\n{stdout}");
        Assert.True(Bytes(summary.Groups["crowd"].Value) > 0, $"the downloaders uploaded nothing to each other\n{stdout}");

        var root = Regex.Match(stdout, @"^temporary folder (?<path>\S+)$", RegexOptions.Multiline);
        Assert.True(root.Success, $"the demo did not say where its temporary folder is:\n{stdout}");
        Assert.False(System.IO.Directory.Exists(root.Groups["path"].Value), $"the demo left {root.Groups["path"].Value} behind");
    }

    /// <summary>A size as the demo prints it (<c>33.0 MiB</c>) in bytes.</summary>
    private static double Bytes(string text)
    {
        var parts = text.Split(' ');
        var unit = Array.IndexOf(["B", "KiB", "MiB", "GiB", "TiB"], parts[1]);
        Assert.True(unit >= 0, $"unknown unit in \"{text}\"");
        return double.Parse(parts[0], CultureInfo.InvariantCulture) * Math.Pow(1024, unit);
    }
}
