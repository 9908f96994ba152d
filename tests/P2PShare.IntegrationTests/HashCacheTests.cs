using System.Diagnostics;
using System.Globalization;
using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>The 2 GiB hash cache test runs alone: its timings mean nothing while other tests load the machine.</summary>
[CollectionDefinition(nameof(HashCacheTests), DisableParallelization = true)]
public sealed class HashCacheCollection;

/// <summary>
/// Issue 3, hash cache: a peer sharing 2 GiB answers a search for its first file within 2 s of
/// its start, hashes the rest in the background, and a second start hashes nothing.
/// </summary>
[Collection(nameof(HashCacheTests))]
public sealed class HashCacheTests : IAsyncDisposable
{
    private const int FileCount = 20;
    private const int BlocksPerFile = 102; // 1 MiB blocks: 20 × 102 MiB ≈ 2 GiB
    private const int BlockSize = 1024 * 1024;
    private const long NeededFreeBytes = 5L * 1024 * 1024 * 1024;

    private const string StartLinePattern =
        @"^p2pshare peer listening on port (?<port>\d+), sharing (?<count>\d+) files?, registered with (?<server>\S+?)(?<hashing>, hashing (?<more>\d+) more)?\s*$";

    private static readonly TimeSpan FirstFileLimit = TimeSpan.FromSeconds(2);

    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_peer_sharing_2_GiB_is_searchable_within_2_s_and_a_second_start_hashes_nothing()
    {
        var share = _cluster.ShareFolder("big");
        var free = new DriveInfo(share).AvailableFreeSpace;
        Assert.True(free >= NeededFreeBytes, $"this test writes 2 GiB and needs 5 GiB free at {share}; only {free / (1024.0 * 1024 * 1024):0.0} GiB are");
        try
        {
            var writing = Stopwatch.StartNew();
            WriteShare(share);
            Report($"wrote {FileCount} files of {BlocksPerFile} MiB in {writing.Elapsed.TotalSeconds:0.00} s");

            var server = await _cluster.StartServerAsync();
            var state = _cluster.Folder("big", "state");

            // First start: nothing is cached; the first files must be searchable within 2 s anyway.
            var first = StartPeer(server, state);
            var firstFound = await WaitUntilSearchableAsync(server, first, files => files > 0, TimeSpan.FromSeconds(10));
            Report($"first start: a file was searchable {firstFound.TotalSeconds:0.00} s after the process started");
            var line = await first.ExpectAsync(StartLinePattern, TimeSpan.FromSeconds(10));
            Report($"first start: \"{line.Value}\"");
            var allFound = await WaitUntilSearchableAsync(server, first, files => files == FileCount, TimeSpan.FromSeconds(40));
            var done = await first.WaitForErrorLineAsync(@"share scan done: 20 files, 0 from the hash cache, 20 hashed \(\d+ bytes\) in (?<seconds>[\d.]+) s", TimeSpan.FromSeconds(40));
            Report($"first start: all {FileCount} files searchable after {allFound.TotalSeconds:0.00} s; the peer hashed 2 GiB in {done.Match.Groups["seconds"].Value} s");
            Assert.True(firstFound < FirstFileLimit, first.Describe($"the first file was searchable only {firstFound.TotalSeconds:0.00} s after the start (limit {FirstFileLimit.TotalSeconds} s)"));
            await StopAsync(first);

            // Second start with the same state folder: everything comes from the cache.
            var second = StartPeer(server, state);
            var secondFound = await WaitUntilSearchableAsync(server, second, files => files == FileCount, TimeSpan.FromSeconds(20));
            var secondLine = await second.ExpectAsync(StartLinePattern, TimeSpan.FromSeconds(10));
            var cached = await second.WaitForErrorLineAsync(@"share scan done: 20 files, 20 from the hash cache, 0 hashed \(0 bytes\) in (?<seconds>[\d.]+) s", TimeSpan.FromSeconds(20));
            Report($"second start: \"{secondLine.Value}\"; all {FileCount} files searchable after {secondFound.TotalSeconds:0.00} s; scan took {cached.Match.Groups["seconds"].Value} s");
            Assert.Equal(FileCount.ToString(CultureInfo.InvariantCulture), secondLine.Groups["count"].Value);
            Assert.False(secondLine.Groups["hashing"].Success, second.Describe("the second start still had files to hash"));
            Assert.Contains("0 hashed", second.Stderr.ToString(), StringComparison.Ordinal);
            await StopAsync(second);
        }
        finally
        {
            // 2 GiB should not wait for the end of the test run.
            System.IO.Directory.Delete(share, recursive: true);
        }
    }

    /// <summary>20 files of 102 distinct 1 MiB blocks: one random block, stamped with the file and block number.</summary>
    private static void WriteShare(string folder)
    {
        var block = new byte[BlockSize];
        new Random(3).NextBytes(block);
        for (var file = 0; file < FileCount; file++)
        {
            using var stream = new FileStream(Path.Combine(folder, $"big-{file:00}.bin"), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
            for (var i = 0; i < BlocksPerFile; i++)
            {
                BitConverter.TryWriteBytes(block.AsSpan(0, 4), file);
                BitConverter.TryWriteBytes(block.AsSpan(4, 4), i);
                stream.Write(block);
            }
        }
    }

    private CliProcess StartPeer(ServerHandle server, string state) =>
        _cluster.Start("big", ["peer", "--server", server.Address, "--port", "0", "--share", _cluster.ShareFolder("big"), "--downloads", _cluster.DownloadsFolder("big"), "--state", state, "--no-menu"], _cluster.Folder("big"));

    /// <summary>Sends raw SEARCHes until <paramref name="condition"/> holds for the number of this share's files found; returns the time since the process started.</summary>
    private static async Task<TimeSpan> WaitUntilSearchableAsync(ServerHandle server, CliProcess peer, Func<int, bool> condition, TimeSpan timeout)
    {
        while (true)
        {
            var results = await RawClient.SearchAsync(server.Port, "big");
            var found = results.Sum(p => p.Files.Count(f => f.Name.StartsWith("big-", StringComparison.Ordinal)));
            if (condition(found))
            {
                return peer.Elapsed;
            }

            if (peer.HasExited || peer.Elapsed > timeout)
            {
                throw new TimeoutException(peer.Describe($"the search found {found} of {FileCount} files after {peer.Elapsed.TotalSeconds:0.0} s"));
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    private static async Task StopAsync(CliProcess peer)
    {
        await peer.SignalAsync("TERM");
        var exitCode = await peer.WaitForExitAsync(TimeSpan.FromSeconds(15));
        Assert.True(exitCode == 0, peer.Describe($"the peer exited with code {exitCode} on SIGTERM"));
    }

    private static void Report(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);
}
