using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>
/// What a download demands of its sources (<see cref="SourceLimits"/>). Issue 13, item 11: a
/// source that drips bytes (one at a time, each well within the stall timeout) must still deliver
/// each chunk, and the hash list, within a deadline derived from the minimum rate, or it is
/// dropped and named with the reason. And no source gets to send a frame larger than what it
/// was asked for.
/// </summary>
public sealed class DownloadSourceLimitTests : IDisposable
{
    private const int Chunks = 6;

    private readonly TempFolder _folder = new();
    private readonly byte[] _content = new byte[(Chunks * Limits.ChunkSize) - 1000];

    public DownloadSourceLimitTests()
    {
        new Random(11).NextBytes(_content);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_source_that_drips_one_byte_at_a_time_is_dropped_once_its_chunk_is_overdue()
    {
        // Every drip comes well within the 2 s stall timeout; only the chunk's deadline can end it.
        await using var dripping = new ScriptedSource(_content, connection => connection == 0 ? ConnectionScript.Honest : ConnectionScript.DripsChunks);
        var downloader = NewDownloader();
        var transfer = new TransferTracker().Start(TransferDirection.Download, "test", "file.bin", _content.Length);

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<DownloadException>(() => downloader.DownloadAsync(dripping.Plan, transfer, null, Token).WaitAsync(TimeSpan.FromSeconds(30), Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed.TotalSeconds:0.0} s");
        var source = Assert.Single(transfer.Sources);
        Assert.Contains("too slow", source.DroppedReason, StringComparison.Ordinal);
        Assert.Contains("too slow", error.Message, StringComparison.Ordinal);
        Assert.Equal(TransferState.Failed, transfer.State);
    }

    [Fact]
    public async Task A_source_that_drips_its_chunks_beside_a_slow_honest_one_is_dropped_as_too_slow_and_the_honest_one_delivers_every_chunk()
    {
        // The honest source sends 1 MiB/s: 1 s for each of its chunks, well within the 3 s a
        // chunk may take, and about 6 s for the file, longer than the dripping source has.
        await using var dripping = new ScriptedSource(_content, _ => ConnectionScript.DripsChunks);
        await using var honest = await LoopbackUpload.StartAsync(Path.Combine(_folder.Path, "share"), "file.bin", _content, Limits.ChunkSize, Token);
        var downloader = NewDownloader();
        var plan = honest.Plan with { Sources = [dripping.Source, .. honest.Plan.Sources] };
        var transfer = new TransferTracker().Start(TransferDirection.Download, "test", "file.bin", _content.Length);

        var result = await downloader.DownloadAsync(plan, transfer, null, Token).WaitAsync(TimeSpan.FromSeconds(30), Token);

        Assert.Equal(_content, await File.ReadAllBytesAsync(result.Path, Token));
        var slow = transfer.Sources.Single(s => s.Source == dripping.Source.Name);
        Assert.StartsWith("too slow: ", slow.DroppedReason, StringComparison.Ordinal);
        Assert.Equal(0, slow.ChunksReceived);
        Assert.Equal(Chunks, transfer.Sources.Single(s => s.Source != dripping.Source.Name).ChunksReceived);
    }

    [Fact]
    public async Task A_source_that_drips_its_hash_list_is_dropped_at_the_deadline_and_the_next_source_is_asked()
    {
        await using var dripping = new ScriptedSource(_content, _ => ConnectionScript.DripsHashList);
        await using var honest = new ScriptedSource(_content, _ => ConnectionScript.Honest);
        var downloader = NewDownloader();
        var plan = dripping.Plan with { Sources = [dripping.Source, honest.Source] };
        var transfer = new TransferTracker().Start(TransferDirection.Download, "test", "file.bin", _content.Length);

        var clock = Stopwatch.StartNew();
        var result = await downloader.DownloadAsync(plan, transfer, null, Token).WaitAsync(TimeSpan.FromSeconds(30), Token);

        Assert.Equal(_content, await File.ReadAllBytesAsync(result.Path, Token));
        var dropped = transfer.Sources.Single(s => s.Source == dripping.Source.Name);
        Assert.Contains("too slow: the hash list (200 bytes) did not arrive within 2 s", dropped.DroppedReason, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task A_source_is_refused_a_frame_larger_than_what_it_was_asked_for_from_the_header()
    {
        // The hash list of a 6-chunk file is 200 bytes: a 16 MiB frame is refused before any of it is read.
        await using var bloated = new ScriptedSource(_content, _ => ConnectionScript.SendsHugeFrames);
        await using var honest = new ScriptedSource(_content, _ => ConnectionScript.Honest);
        var downloader = NewDownloader();
        var plan = bloated.Plan with { Sources = [bloated.Source, honest.Source] };
        var transfer = new TransferTracker().Start(TransferDirection.Download, "test", "file.bin", _content.Length);

        var result = await downloader.DownloadAsync(plan, transfer, null, Token).WaitAsync(TimeSpan.FromSeconds(30), Token);

        Assert.Equal(_content, await File.ReadAllBytesAsync(result.Path, Token));
        var dropped = transfer.Sources.Single(s => s.Source == bloated.Source.Name);
        Assert.Contains("payload length 16777216 exceeds the limit of 200 bytes", dropped.DroppedReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0L, 10.0)]
    [InlineData(40L, 10.001220703125)]
    [InlineData(1024L * 1024, 42.0)]
    [InlineData(16_777_192L, 521.999267578125)]
    public void A_deadline_is_the_stall_timeout_plus_the_bytes_at_the_minimum_rate(long bytes, double seconds)
    {
        // 1 MiB is a whole chunk; 40 bytes the hash list of a one-chunk file; 16,777,192 bytes the longest hash list.
        var deadline = new SourceLimits().Deadline(bytes, TimeSpan.FromSeconds(10));

        Assert.Equal(seconds, deadline.TotalSeconds, 6);
    }

    /// <summary>A 2 s stall timeout and 1 MiB/s at least: a chunk has 3 s, the hash list 2 s and a little.</summary>
    private Downloader NewDownloader() =>
        new(Path.Combine(_folder.Path, "out"), NullLogger.Instance)
        {
            Options = new DownloadOptions
            {
                StallTimeout = TimeSpan.FromSeconds(2),
                SourceLimits = new SourceLimits { MinRate = Limits.ChunkSize },

                // The scripted sources behave by connection: the hash list's is not asked for chunks.
                HashListConnectionMaxChunks = 0,
            },
        };
}
