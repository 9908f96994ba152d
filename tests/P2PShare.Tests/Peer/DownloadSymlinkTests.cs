using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>
/// Issue 13, item 7, "Symlinks in the downloads folder are followed": a download never writes
/// through a link it finds in the downloads folder (at NAME.part, its record, the record's old
/// temporary name, the final name or a folder of the name), never adopts a .part that is a
/// link, and never replaces a link. Real downloads from an in-process upload server.
/// </summary>
public sealed class DownloadSymlinkTests : IDisposable
{
    private const int Size = (4 * Limits.ChunkSize) + 12345;

    private readonly TempFolder _folder = new();
    private readonly byte[] _content = new byte[Size];

    public DownloadSymlinkTests()
    {
        new Random(7).NextBytes(_content);
        System.IO.Directory.CreateDirectory(Output);
        System.IO.Directory.CreateDirectory(Outside);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private string Output => Path.Combine(_folder.Path, "out");

    /// <summary>A folder outside the downloads folder, where nothing may be written.</summary>
    private string Outside => Path.Combine(_folder.Path, "outside");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Symlinks_in_the_downloads_folder_are_not_followed_at_the_part_its_record_or_the_record_temporary_name()
    {
        await using var source = await StartAsync("file.bin");
        var part = Path.Combine(Output, "file.bin.part");
        var links = new[] { part, part + ".state", part + ".state.tmp" }
            .Select((link, i) => (Link: link, Target: Precious(Path.Combine(Outside, $"victim{i}"), i)))
            .ToList();
        foreach (var (link, target) in links)
        {
            File.CreateSymbolicLink(link, target.Path);
        }

        var result = await DownloadAsync(source.Plan);

        Assert.Equal(Path.Combine(Output, "file.bin"), result.Path);
        Assert.Null(new FileInfo(result.Path).LinkTarget);
        Assert.Equal(_content, File.ReadAllBytes(result.Path));
        foreach (var (link, target) in links)
        {
            Assert.True(target.Bytes.AsSpan().SequenceEqual(File.ReadAllBytes(target.Path)), $"{target.Path}, linked from {Path.GetFileName(link)}, was written to");
            Assert.Equal(target.Path, new FileInfo(link).LinkTarget);
        }
    }

    [Fact]
    public async Task Symlinks_in_the_downloads_folder_are_not_followed_into_a_linked_folder_of_the_name()
    {
        await using var source = await StartAsync("music/file.bin");
        System.IO.Directory.CreateSymbolicLink(Path.Combine(Output, "music"), Outside);
        var transfer = DownloadRuns.NewTransfer(source.Plan);

        var error = await Assert.ThrowsAsync<DownloadException>(() => new Downloader(Output, NullLogger.Instance).DownloadAsync(source.Plan, transfer, null, Token));

        Assert.Empty(System.IO.Directory.EnumerateFileSystemEntries(Outside));
        Assert.Contains("music", error.Message, StringComparison.Ordinal);
        Assert.Contains("link", error.Message, StringComparison.Ordinal);
        Assert.Equal(TransferState.Failed, transfer.State);
    }

    [Fact]
    public async Task A_file_where_a_folder_of_the_name_should_be_is_refused_and_left_alone()
    {
        await using var source = await StartAsync("music/file.bin");
        var file = Path.Combine(Output, "music");
        File.WriteAllBytes(file, [1, 2, 3]);

        var error = await Assert.ThrowsAsync<DownloadException>(() => DownloadAsync(source.Plan));

        Assert.StartsWith($"{file} is a file, not a folder", error.Message, StringComparison.Ordinal);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(file));
    }

    [Fact]
    public async Task Symlinks_in_the_downloads_folder_are_not_replaced_at_the_final_name_even_when_dangling()
    {
        await using var source = await StartAsync("file.bin");
        var missing = Path.Combine(Outside, "missing");
        var link = Path.Combine(Output, "file.bin");
        File.CreateSymbolicLink(link, missing);

        var result = await DownloadAsync(source.Plan);

        Assert.Equal(Path.Combine(Output, "file.bin (1)"), result.Path);
        Assert.Equal(_content, File.ReadAllBytes(result.Path));
        Assert.Equal(missing, new FileInfo(link).LinkTarget);
        Assert.Empty(System.IO.Directory.EnumerateFileSystemEntries(Outside));
    }

    private async Task<DownloadResult> DownloadAsync(DownloadPlan plan) =>
        await new Downloader(Output, NullLogger.Instance).DownloadAsync(plan, DownloadRuns.NewTransfer(plan), null, Token);

    private Task<LoopbackUpload> StartAsync(string name) =>
        LoopbackUpload.StartAsync(Path.Combine(_folder.Path, "share"), name, _content, limit: 0, Token);

    /// <summary>A file outside the downloads folder with content that must survive.</summary>
    private static (string Path, byte[] Bytes) Precious(string path, int seed)
    {
        var bytes = new byte[1000 + seed];
        new Random(700 + seed).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return (path, bytes);
    }
}
