using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>What a small file's download costs (one connection, not two), and what a source that lies or stalls on that one connection gets.</summary>
public sealed class SmallFileDownloadTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData((3 * Limits.ChunkSize) - 7)]
    public async Task A_small_file_is_fetched_over_the_hash_lists_connection_alone(int size)
    {
        var content = new byte[size];
        new Random(size).NextBytes(content);
        // Any second connection is turned away: only the first may serve.
        await using var source = new ScriptedSource(content, connection => connection == 0 ? ConnectionScript.Honest : ConnectionScript.Busy);
        var downloader = new Downloader(Path.Combine(_folder.Path, "out"), NullLogger.Instance);
        var transfer = new TransferTracker().Start(TransferDirection.Download, "test", "file.bin", size);

        var result = await downloader.DownloadAsync(source.Plan, transfer, null, TestContext.Current.CancellationToken);

        Assert.Equal(content, await File.ReadAllBytesAsync(result.Path, TestContext.Current.CancellationToken));
        Assert.Equal([(int)HashListMessage.ChunkCount((ulong)size)], source.GetsAnsweredPerConnection);
    }

    [Fact]
    public async Task A_source_that_dies_in_a_chunk_on_the_hash_lists_connection_is_dropped_and_another_delivers()
    {
        var content = new byte[(2 * Limits.ChunkSize) + 99];
        new Random(21).NextBytes(content);
        // Asked first, the dying source gives the true hash list, then closes half-way through the
        // first chunk asked on that same connection (and on any later one).
        await using var dying = new ScriptedSource(content, _ => ConnectionScript.DiesInFirstChunk);
        await using var honest = new ScriptedSource(content, _ => ConnectionScript.Honest);
        var downloader = new Downloader(Path.Combine(_folder.Path, "out"), NullLogger.Instance);
        var plan = dying.Plan with { Sources = [dying.Source, honest.Source] };
        var transfer = new TransferTracker().Start(TransferDirection.Download, "test", "file.bin", content.Length);

        var result = await downloader.DownloadAsync(plan, transfer, null, TestContext.Current.CancellationToken);

        Assert.Equal(content, await File.ReadAllBytesAsync(result.Path, TestContext.Current.CancellationToken));
        Assert.Equal(0, dying.GetsAnsweredPerConnection.Sum());
        Assert.NotNull(Assert.Single(transfer.Sources, s => s.Source == dying.Source.Name).DroppedReason);
    }

    [Fact]
    public async Task A_source_that_drips_a_chunk_on_the_hash_lists_connection_is_dropped_once_the_chunk_is_overdue()
    {
        var content = new byte[Limits.ChunkSize / 2];
        new Random(22).NextBytes(content);
        await using var dripping = new ScriptedSource(content, _ => ConnectionScript.DripsChunks);
        // A 2 s stall timeout and 1 MiB/s at least: the chunk has about 2.5 s, the drip would take days.
        var downloader = new Downloader(Path.Combine(_folder.Path, "out"), NullLogger.Instance)
        {
            Options = new DownloadOptions { StallTimeout = TimeSpan.FromSeconds(2), SourceLimits = new SourceLimits { MinRate = Limits.ChunkSize } },
        };
        var transfer = new TransferTracker().Start(TransferDirection.Download, "test", "file.bin", content.Length);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<DownloadException>(() => downloader.DownloadAsync(dripping.Plan, transfer, null, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Contains("too slow", Assert.Single(transfer.Sources).DroppedReason, StringComparison.Ordinal);
        Assert.Contains("too slow", error.Message, StringComparison.Ordinal);
    }
}
