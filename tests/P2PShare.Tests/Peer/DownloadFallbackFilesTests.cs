using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>
/// Issue 13, items 6 and 8 together: when a name stands for several contents and the next one is
/// tried after a failed one, each content has a <c>.part</c> of its own. Trying the next never
/// overwrites or deletes the verified work of another, a content with verified chunks on disk is
/// not given up at all, and what a failure says is kept is what is on disk.
/// </summary>
public sealed class DownloadFallbackFilesTests : IDisposable
{
    private const int Chunks = 16;
    private const int Size = Chunks * Limits.ChunkSize;

    private readonly TempFolder _folder = new();
    private readonly byte[] _content = Random(Size, 61);
    private readonly byte[] _otherContent = Random(2 * Limits.ChunkSize, 62);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private string Output => Path.Combine(_folder.Path, "out");

    private string PartPath => Path.Combine(Output, "file.bin.part");

    private string RecordPath => PartPath + ResumeRecordFormat.Suffix;

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_content_whose_sources_fail_before_a_chunk_leaves_nothing_behind_and_the_next_content_is_saved()
    {
        // The first content's only source gives its hash list, then dies in its first chunk.
        await using var failing = new ScriptedSource(_content, n => n == 0 ? ConnectionScript.Honest : ConnectionScript.DiesInFirstChunk);
        await using var next = new ScriptedSource(_otherContent, _ => ConnectionScript.Honest);
        var plan = failing.Plan with { Fallbacks = [next.Plan] };
        var transfer = DownloadRuns.NewTransfer(plan);

        var result = await NewDownloader().DownloadAsync(plan, transfer, null, Token);

        Assert.Equal(_otherContent, File.ReadAllBytes(result.Path));
        Assert.Equal(PartPath, result.PartPath);
        Assert.Equal(["file.bin"], Names());
        Assert.Equal(failing.Id, Assert.Single(transfer.ContentSwitches).From.Id);
    }

    [Fact]
    public async Task A_content_with_verified_chunks_from_an_earlier_run_is_not_given_up_for_the_next_and_its_part_is_untouched()
    {
        DownloadPlan plan;
        await using (var earlier = await StartAsync())
        {
            plan = earlier.Plan;
            await DownloadRuns.InterruptAsync(Output, plan, chunks: 2);
        }

        var part = File.ReadAllBytes(PartPath);
        var record = File.ReadAllBytes(RecordPath);
        var listed = ResumeRecordFormat.Decode(record, plan.Id, Size, Chunks)!.Chunks.Count;
        await using var next = new ScriptedSource(_otherContent, _ => ConnectionScript.Honest);
        var transfer = DownloadRuns.NewTransfer(plan);

        // The first content's source is gone: no hash list for it, and a working next content.
        var error = await Assert.ThrowsAsync<DownloadException>(() => NewDownloader().DownloadAsync(plan with { Fallbacks = [next.Plan] }, transfer, null, Token));

        Assert.Equal(part, File.ReadAllBytes(PartPath));
        Assert.Equal(record, File.ReadAllBytes(RecordPath));
        Assert.Equal(["file.bin.part", "file.bin.part.state"], Names());
        Assert.Empty(next.GetsAnsweredPerConnection);
        Assert.Empty(transfer.ContentSwitches);
        Assert.EndsWith($"{PartPath} is kept with {listed} of {Chunks} chunks verified, with its resume record: run the download again to resume", error.Message, StringComparison.Ordinal);
        Assert.Equal(error.Message, transfer.Error);
    }

    [Fact]
    public async Task An_earlier_part_of_a_content_given_up_is_left_alone_and_the_next_content_goes_to_NAME_1_part()
    {
        var unverified = await LeavePartWithNothingVerifiedAsync();
        await using var failing = new ScriptedSource(_content, n => n == 0 ? ConnectionScript.Honest : ConnectionScript.DiesInFirstChunk);
        await using var next = new ScriptedSource(_otherContent, _ => ConnectionScript.Honest);
        var plan = failing.Plan with { Fallbacks = [next.Plan] };

        var result = await NewDownloader().DownloadAsync(plan, DownloadRuns.NewTransfer(plan), null, Token);

        Assert.Equal(Path.Combine(Output, "file.bin (1).part"), result.PartPath);
        Assert.Equal(_otherContent, File.ReadAllBytes(result.Path));
        Assert.Equal(["file.bin", "file.bin.part", "file.bin.part.state"], Names());
        Assert.Equal(unverified, File.ReadAllBytes(PartPath));
    }

    [Fact]
    public async Task When_every_content_fails_the_message_names_the_part_each_one_kept()
    {
        await LeavePartWithNothingVerifiedAsync();
        await using var failing = new ScriptedSource(_content, n => n == 0 ? ConnectionScript.Honest : ConnectionScript.DiesInFirstChunk);
        await using var alsoFailing = new ScriptedSource(_otherContent, n => n == 0 ? ConnectionScript.Honest : ConnectionScript.DiesInFirstChunk);
        var plan = failing.Plan with { Fallbacks = [alsoFailing.Plan] };
        var transfer = DownloadRuns.NewTransfer(plan);

        var error = await Assert.ThrowsAsync<DownloadException>(() => NewDownloader().DownloadAsync(plan, transfer, null, Token));

        // The first content's .part was an earlier run's: kept. The second made its own under the
        // next name, stored nothing in it and removed it.
        Assert.Equal(["file.bin.part", "file.bin.part.state"], Names());
        Assert.Contains("none of the 2 contents", error.Message, StringComparison.Ordinal);
        Assert.EndsWith($"; {PartPath} is kept with 0 of {Chunks} chunks verified, with its resume record: run the download again to resume", error.Message, StringComparison.Ordinal);
        Assert.Equal(error.Message, transfer.Error);
    }

    /// <summary>
    /// An earlier run's <c>.part</c> of <see cref="_content"/> with its record, whose listed chunks
    /// no longer verify (overwritten with zeros): this content's own, holding nothing verified.
    /// Returns its bytes.
    /// </summary>
    private async Task<byte[]> LeavePartWithNothingVerifiedAsync()
    {
        await using (var earlier = await StartAsync())
        {
            await DownloadRuns.InterruptAsync(Output, earlier.Plan, chunks: 2);
        }

        var zeros = new byte[Size];
        await File.WriteAllBytesAsync(PartPath, zeros, Token);
        return zeros;
    }

    // The scripted sources behave by connection: the hash list's is not asked for chunks.
    private Downloader NewDownloader() => new(Output, NullLogger.Instance) { Options = new DownloadOptions { ConnectTimeout = TimeSpan.FromSeconds(2), HashListConnectionMaxChunks = 0 } };

    private Task<LoopbackUpload> StartAsync() =>
        LoopbackUpload.StartAsync(Path.Combine(_folder.Path, "share"), "file.bin", _content, 4_000_000, Token);

    private string[] Names() =>
        [.. System.IO.Directory.GetFileSystemEntries(Output).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
