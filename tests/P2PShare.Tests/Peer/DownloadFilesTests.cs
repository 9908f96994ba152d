using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>
/// Which <c>.part</c> a download adopts and which it leaves alone (<see cref="DownloadFiles"/>):
/// only a regular file of this user with one link and its matching record; anything else under
/// the name sends the download to <c>NAME (1).part</c>, which a later run resumes. Real downloads
/// from an in-process upload server.
/// </summary>
public sealed class DownloadFilesTests : IDisposable
{
    private const int Chunks = 8;
    private const int Size = Chunks * Limits.ChunkSize;

    private readonly TempFolder _folder = new();
    private readonly byte[] _content = new byte[Size];

    public DownloadFilesTests()
    {
        new Random(13).NextBytes(_content);
        System.IO.Directory.CreateDirectory(Output);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private string Output => Path.Combine(_folder.Path, "out");

    private string PartPath => Path.Combine(Output, "file.bin.part");

    private string RecordPath => PartPath + ResumeRecordFormat.Suffix;

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task The_part_of_other_content_under_the_name_is_left_alone_and_the_download_goes_to_the_next_name()
    {
        await using var source = await StartAsync(limit: 0);
        var otherId = ContentHasher.Compute([4, 5, 6]);
        var otherPart = Random(Size, seed: 1);
        File.WriteAllBytes(PartPath, otherPart);
        var otherRecord = ResumeRecordFormat.EncodeFile(otherId, Size, Chunks, [0, 1]);
        File.WriteAllBytes(RecordPath, otherRecord);

        var result = await DownloadAsync(source.Plan);

        Assert.Equal(Path.Combine(Output, "file.bin (1).part"), result.PartPath);
        Assert.Equal(Path.Combine(Output, "file.bin"), result.Path);
        Assert.Equal(_content, File.ReadAllBytes(result.Path));
        Assert.Equal(otherPart, File.ReadAllBytes(PartPath));
        Assert.Equal(otherRecord, File.ReadAllBytes(RecordPath));
        Assert.Equal(["file.bin", "file.bin.part", "file.bin.part.state"], Names());
    }

    [Fact]
    public async Task A_part_that_is_a_link_or_has_a_second_link_is_not_adopted_even_with_a_matching_record()
    {
        await using var source = await StartAsync(limit: 0);
        var outside = Path.Combine(_folder.Path, "outside.bin");
        var precious = Random(Size, seed: 2);
        File.WriteAllBytes(outside, precious);
        var record = ResumeRecordFormat.EncodeFile(source.File.Id, Size, Chunks, [0, 1, 2]);

        // A symbolic link at NAME.part, a hard link at NAME (1).part, each with a matching record.
        File.CreateSymbolicLink(PartPath, outside);
        File.WriteAllBytes(RecordPath, record);
        var hardLinked = Path.Combine(Output, "file.bin (1).part");
        Run("ln", outside, hardLinked);
        File.WriteAllBytes(hardLinked + ResumeRecordFormat.Suffix, record);

        var result = await DownloadAsync(source.Plan);

        Assert.Equal(0, result.ResumedChunks);
        Assert.Equal(Path.Combine(Output, "file.bin (2).part"), result.PartPath);
        Assert.Equal(_content, File.ReadAllBytes(result.Path));
        Assert.Equal(precious, File.ReadAllBytes(outside));
        Assert.Equal(outside, new FileInfo(PartPath).LinkTarget);
        Assert.Equal(record, File.ReadAllBytes(RecordPath));
    }

    [Fact]
    public async Task A_part_without_its_record_is_left_alone()
    {
        await using var source = await StartAsync(limit: 0);
        var unknown = Random(Size, seed: 3);
        File.WriteAllBytes(PartPath, unknown);

        var result = await DownloadAsync(source.Plan);

        Assert.Equal(Path.Combine(Output, "file.bin (1).part"), result.PartPath);
        Assert.Equal(unknown, File.ReadAllBytes(PartPath));
    }

    [Fact]
    public async Task A_download_sent_to_the_next_name_is_resumed_from_it()
    {
        await using var source = await StartAsync(limit: 4_000_000);
        File.WriteAllBytes(PartPath, Random(1000, seed: 4));
        await DownloadRuns.InterruptAsync(Output, source.Plan, chunks: 2);

        var result = await DownloadAsync(source.Plan);

        Assert.Equal(Path.Combine(Output, "file.bin (1).part"), result.PartPath);
        Assert.True(result.ResumedChunks >= 2, $"{result.ResumedChunks} chunks resumed");
        Assert.Equal(_content, File.ReadAllBytes(result.Path));
        Assert.Equal(["file.bin", "file.bin.part"], Names());
    }

    [Fact]
    public async Task A_lone_record_of_a_download_is_taken_over_but_a_lone_file_of_another_kind_is_not()
    {
        await using var source = await StartAsync(limit: 0);
        File.WriteAllBytes(RecordPath, ResumeRecordFormat.EncodeFile(ContentHasher.Compute([7]), 5, 1, [0]));
        var notARecord = Path.Combine(Output, "other.bin.part" + ResumeRecordFormat.Suffix);
        File.WriteAllText(notARecord, "somebody's notes");

        var result = await DownloadAsync(source.Plan);
        Assert.Equal(PartPath, result.PartPath);
        Assert.Equal(["file.bin", "other.bin.part.state"], Names());

        var other = await DownloadAsync(source.Plan with { Name = "other.bin" });
        Assert.Equal(Path.Combine(Output, "other.bin (1).part"), other.PartPath);
        Assert.Equal("somebody's notes", File.ReadAllText(notARecord));
    }

    [Fact]
    public async Task A_download_cancelled_before_any_chunk_removes_what_it_made_and_says_nothing_was_saved()
    {
        // 1,000 bytes a second: the first chunk would take 17 minutes.
        await using var source = await StartAsync(limit: 1000);
        var transfer = DownloadRuns.NewTransfer(source.Plan);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var download = new Downloader(Output, NullLogger.Instance).DownloadAsync(source.Plan, transfer, null, stop.Token);
        var clock = Stopwatch.StartNew();
        while (!File.Exists(RecordPath))
        {
            Assert.False(download.IsCompleted, "the download ended before it made its .part");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "no .part was made within 30 s");
            await Task.Delay(10, Token);
        }

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => download);

        Assert.Empty(Names());
        Assert.Equal(TransferState.Cancelled, transfer.State);
        Assert.Equal("nothing was saved", transfer.Error);
    }

    [Fact]
    public async Task A_download_cancelled_after_some_chunks_says_which_part_is_kept_with_how_many()
    {
        await using var source = await StartAsync(limit: 4_000_000);
        var transfer = DownloadRuns.NewTransfer(source.Plan);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var download = new Downloader(Output, NullLogger.Instance).DownloadAsync(source.Plan, transfer, null, stop.Token);
        await DownloadRuns.WaitForChunksAsync(transfer, download, 2);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => download);

        var listed = ResumeRecordFormat.Decode(File.ReadAllBytes(RecordPath), source.File.Id, Size, Chunks);
        Assert.NotNull(listed);
        Assert.Equal($"{PartPath} is kept with {listed.Chunks.Count} of {Chunks} chunks verified, with its resume record: run the download again to resume", transfer.Error);
    }

    private async Task<DownloadResult> DownloadAsync(DownloadPlan plan) =>
        await new Downloader(Output, NullLogger.Instance).DownloadAsync(plan, DownloadRuns.NewTransfer(plan), null, Token);

    private Task<LoopbackUpload> StartAsync(long limit) =>
        LoopbackUpload.StartAsync(Path.Combine(_folder.Path, "share"), "file.bin", _content, limit, Token);

    private string[] Names() =>
        [.. System.IO.Directory.GetFileSystemEntries(Output).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static void Run(string program, params string[] arguments)
    {
        using var process = Process.Start(program, arguments);
        process.WaitForExit(TimeSpan.FromSeconds(10));
        Assert.Equal(0, process.ExitCode);
    }
}
