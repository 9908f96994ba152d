using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>
/// A real download from an in-process upload server: the resume record, rewritten only now and
/// then, never runs ahead of the bytes written, and a stopped download leaves a record of exactly
/// the chunks it wrote to the .part.
/// </summary>
public sealed class DownloadResumeInvariantTests : IDisposable
{
    private const int Chunks = 24;
    private const int Size = Chunks * Limits.ChunkSize;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly TempFolder _folder = new();
    private readonly byte[] _content = new byte[Size];

    public DownloadResumeInvariantTests()
    {
        new Random(23).NextBytes(_content);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private string Output => Path.Combine(_folder.Path, "out");

    private string PartPath => Path.Combine(Output, "file.bin" + ShareIndex.PartialSuffix);

    private string StatePath => PartPath + ResumeRecordFormat.Suffix;

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_stopped_download_leaves_a_record_of_exactly_the_chunks_written_even_between_two_rewrites()
    {
        await using var source = await StartAsync(limit: 4_000_000);
        var downloader = new Downloader(Output, NullLogger.Instance) { Options = new DownloadOptions { ResumeRecordInterval = Timeout.InfiniteTimeSpan } };
        var transfer = new TransferTracker().Start(TransferDirection.Download, "test", "file.bin", Size);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var download = downloader.DownloadAsync(source.Plan, transfer, null, stop.Token);

        var clock = Stopwatch.StartNew();
        while (transfer.BytesDone < 6L * Limits.ChunkSize)
        {
            Assert.True(clock.Elapsed < Patience, "the download made no progress");
            await Task.Delay(20, Token);
        }

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => download);

        var listed = ReadRecord(source.File.Id);
        Assert.NotNull(listed);
        Assert.True(listed.Count >= 6, $"the record lists {listed.Count} chunks; at least 6 were written");
        Assert.Equal(VerifiedChunksInPart(source.File), listed);
    }

    [Fact]
    public async Task While_a_download_runs_the_record_never_lists_more_chunks_than_were_written()
    {
        // The .part is locked while the download runs, so what is written is judged by the
        // transfer's byte count, which counts a chunk once it is written, before it is recorded.
        await using var source = await StartAsync(limit: 8_000_000);
        var downloader = new Downloader(Output, NullLogger.Instance) { Options = new DownloadOptions { ResumeRecordInterval = TimeSpan.Zero } };
        var transfer = new TransferTracker().Start(TransferDirection.Download, "test", "file.bin", Size);
        var download = downloader.DownloadAsync(source.Plan, transfer, null, Token);

        var checks = 0;
        while (!download.IsCompleted)
        {
            if (ReadRecord(source.File.Id) is { } listed)
            {
                var written = transfer.BytesDone / Limits.ChunkSize;
                Assert.True(listed.Count <= written, $"the record lists {listed.Count} chunks when {written} were written");
                checks++;
            }

            await Task.Delay(10, Token);
        }

        var result = await download;
        Assert.Equal(Size, new FileInfo(result.Path).Length);
        Assert.False(File.Exists(StatePath));
        Assert.True(checks > 0, "the record was never seen while the download ran");
    }

    /// <summary>The chunks the record lists; null while there is no valid record.</summary>
    private IReadOnlyList<int>? ReadRecord(ContentId id)
    {
        try
        {
            return ResumeRecordFormat.Decode(File.ReadAllBytes(StatePath), id, Size, Chunks)?.Chunks;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    private Task<LoopbackUpload> StartAsync(long limit) =>
        LoopbackUpload.StartAsync(Path.Combine(_folder.Path, "share"), "file.bin", _content, limit, Token);

    /// <summary>The chunks of the .part whose bytes match the file's digests.</summary>
    private List<int> VerifiedChunksInPart(SharedFile file)
    {
        using var part = new FileStream(PartPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var buffer = new byte[Limits.ChunkSize];
        var verified = new List<int>();
        for (var chunk = 0; chunk < Chunks; chunk++)
        {
            part.Position = (long)chunk * Limits.ChunkSize;
            part.ReadExactly(buffer);
            if (SHA256.HashData(buffer).AsSpan().SequenceEqual(file.ChunkDigests.AsSpan(chunk * Limits.IdLength, Limits.IdLength)))
            {
                verified.Add(chunk);
            }
        }

        return verified;
    }
}
