using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>
/// A lone fast source gets a second connection; whatever happens to that connection, the
/// download lands complete and verified, and the source is kept. Real downloads over loopback.
/// </summary>
public sealed class DownloadSecondConnectionTests : IDisposable
{
    private const int Chunks = 48;

    private readonly TempFolder _folder = new();
    private readonly byte[] _content = new byte[Chunks * Limits.ChunkSize];

    public DownloadSecondConnectionTests()
    {
        new Random(48).NextBytes(_content);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private string Output => Path.Combine(_folder.Path, "out");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_fast_lone_source_is_fetched_over_two_connections_at_once()
    {
        await using var source = new ScriptedSource(_content, _ => ConnectionScript.Honest);

        var transfer = await DownloadAsync(source.Plan, secondConnectionRate: 0);

        // Connection 0 fetched the hash list; 1 and 2 shared the chunks.
        var gets = source.GetsAnsweredPerConnection;
        Assert.Equal(3, gets.Count);
        Assert.Equal(0, gets[0]);
        Assert.True(gets[1] > 0 && gets[2] > 0, $"chunks per connection: {string.Join(", ", gets)}");
        Assert.Equal(Chunks, gets.Sum());
        Assert.Null(Assert.Single(transfer.Sources).DroppedReason);
    }

    [Theory]
    [InlineData(ConnectionScript.Busy)]
    [InlineData(ConnectionScript.DiesInFirstChunk)]
    public async Task A_second_connection_refused_busy_or_lost_mid_chunk_only_ends_and_the_first_serves_the_whole_file(ConnectionScript second)
    {
        await using var source = new ScriptedSource(_content, connection => connection == 2 ? second : ConnectionScript.Honest);

        var transfer = await DownloadAsync(source.Plan, secondConnectionRate: 0);

        // The chunks the second connection had asked for went back to the first, and the source was kept.
        Assert.Equal([0, Chunks, 0], source.GetsAnsweredPerConnection);
        Assert.Null(Assert.Single(transfer.Sources).DroppedReason);
    }

    [Fact]
    public async Task Sources_of_a_swarm_get_one_connection_each_and_duplicate_only_chunks_still_on_their_way()
    {
        await using var first = new ScriptedSource(_content, _ => ConnectionScript.Honest);
        await using var second = new ScriptedSource(_content, _ => ConnectionScript.Honest);
        var plan = first.Plan with { Sources = [first.Source, second.Source] };

        await DownloadAsync(plan, secondConnectionRate: 0);

        // The first source also answered HASHES, on a connection of its own.
        Assert.Equal(2, first.GetsAnsweredPerConnection.Count);
        Assert.Single(second.GetsAnsweredPerConnection);

        // The end game asks a second source only for chunks still on their way (2 GETs in
        // flight per source here), never for one received and waiting for verification.
        var answered = first.GetsAnsweredPerConnection.Sum() + second.GetsAnsweredPerConnection.Sum();
        Assert.InRange(answered, Chunks, Chunks + 4);
    }

    [Fact]
    public async Task A_file_smaller_than_256_MiB_keeps_one_connection_to_a_fast_lone_source()
    {
        await using var source = new ScriptedSource(_content, _ => ConnectionScript.Honest);

        await DownloadAsync(source.Plan, secondConnectionRate: 0, productMinimum: true);

        Assert.Equal([0, Chunks], source.GetsAnsweredPerConnection);
    }

    [Fact]
    public async Task A_source_slower_than_the_threshold_keeps_one_connection()
    {
        // 48 MiB at 24 MB/s: ~2.1 s, every 8 MiB measured well below the 64 MiB/s asked for.
        await using var source = await LoopbackUpload.StartAsync(Path.Combine(_folder.Path, "share"), "file.bin", _content, 24_000_000, Token);

        await DownloadAsync(source.Plan, secondConnectionRate: 64L * 1024 * 1024);

        var upload = Assert.Single(source.Uploads.Snapshot());
        Assert.Equal(source.File.Size, upload.BytesDone);
    }

    /// <summary>Downloads <paramref name="plan"/> into the output folder and checks the file landed whole and verified.</summary>
    private async Task<Transfer> DownloadAsync(DownloadPlan plan, long secondConnectionRate, bool productMinimum = false)
    {
        // Unless the test is about the product's minimum of 256 chunks left, 32 will do for a file of 48.
        var downloader = productMinimum
            ? new Downloader(Output, NullLogger.Instance) { Options = new DownloadOptions { SecondConnectionRate = secondConnectionRate } }
            : new Downloader(Output, NullLogger.Instance) { Options = new DownloadOptions { SecondConnectionRate = secondConnectionRate, SecondConnectionMinChunks = 32 } };

        var transfer = new TransferTracker().Start(TransferDirection.Download, "test", plan.Name, (long)plan.Size);
        var result = await downloader.DownloadAsync(plan, transfer, null, Token).WaitAsync(TimeSpan.FromSeconds(60), Token);
        Assert.Equal(_content.AsSpan(0, (int)plan.Size).ToArray(), await File.ReadAllBytesAsync(result.Path, Token));
        Assert.False(File.Exists(result.Path + ShareIndex.PartialSuffix));
        return transfer;
    }
}
