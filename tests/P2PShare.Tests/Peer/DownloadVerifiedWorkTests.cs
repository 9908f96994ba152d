using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>
/// Issue 13, item 8, "Interrupted resume deletes verified work": no error path of a download
/// deletes a .part or a record that holds verified chunks, and what a failure says about them is
/// what happened. Real downloads from an in-process upload server.
/// </summary>
public sealed class DownloadVerifiedWorkTests : IDisposable
{
    private const int Chunks = 16;
    private const int Size = Chunks * Limits.ChunkSize;

    private readonly TempFolder _folder = new();
    private readonly byte[] _content = new byte[Size];

    public DownloadVerifiedWorkTests()
    {
        new Random(8).NextBytes(_content);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private string Output => Path.Combine(_folder.Path, "out");

    private string PartPath => Path.Combine(Output, "file.bin.part");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Interrupted_resume_keeps_verified_work_when_a_folder_sits_at_the_record_temporary_name()
    {
        await using var source = await StartAsync(limit: 4_000_000);
        await DownloadRuns.InterruptAsync(Output, source.Plan, chunks: 4);
        System.IO.Directory.CreateDirectory(PartPath + ".state.tmp");

        var transfer = DownloadRuns.NewTransfer(source.Plan);
        var result = await new Downloader(Output, NullLogger.Instance).DownloadAsync(source.Plan, transfer, null, Token);

        Assert.True(result.ResumedChunks >= 4, $"only {result.ResumedChunks} chunks were resumed");
        Assert.Equal(_content, File.ReadAllBytes(result.Path));
    }

    [Fact]
    public async Task Interrupted_resume_keeps_verified_work_when_every_source_fails_and_says_so()
    {
        DownloadPlan plan;
        await using (var source = await StartAsync(limit: 4_000_000))
        {
            plan = source.Plan;
            await DownloadRuns.InterruptAsync(Output, plan, chunks: 4);
        }

        var before = File.ReadAllBytes(PartPath);
        var listed = ResumeRecordFormat.Decode(File.ReadAllBytes(PartPath + ResumeRecordFormat.Suffix), plan.Id, Size, Chunks)!.Chunks.Count;
        var transfer = DownloadRuns.NewTransfer(plan);

        // The source is gone: the resume fails before it fetches anything.
        var error = await Assert.ThrowsAsync<DownloadException>(() => new Downloader(Output, NullLogger.Instance).DownloadAsync(plan, transfer, null, Token));

        Assert.Equal(before, File.ReadAllBytes(PartPath));
        Assert.True(File.Exists(PartPath + ".state"));
        Assert.Equal(TransferState.Failed, transfer.State);
        Assert.EndsWith($"{PartPath} is kept with {listed} of {Chunks} chunks verified, with its resume record: run the download again to resume", error.Message, StringComparison.Ordinal);
        Assert.Equal(error.Message, transfer.Error);
    }

    private Task<LoopbackUpload> StartAsync(long limit) =>
        LoopbackUpload.StartAsync(Path.Combine(_folder.Path, "share"), "file.bin", _content, limit, Token);
}
