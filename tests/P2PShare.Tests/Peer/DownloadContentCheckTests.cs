using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>
/// Issue 13, items 9 and 10: what an entry claims about its size and id is checked before a
/// download starts. An empty file must carry the id of no bytes, and a size p2pshare cannot fetch
/// ends the download with a clear "too large" error, never an unhandled exception.
/// </summary>
public sealed class DownloadContentCheckTests : IDisposable
{
    /// <summary>Nothing listens here: a download that contacts it fails, one that should not contact it never notices.</summary>
    private static readonly DownloadSource Nowhere = new(new IPEndPoint(IPAddress.Loopback, 1), "x");

    private readonly TempFolder _folder = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task An_empty_file_is_never_checked__an_entry_of_size_0_with_another_id_than_that_of_no_bytes_is_refused()
    {
        var elevens = new ContentId(Enumerable.Repeat((byte)0x11, Limits.IdLength).ToArray());
        var plan = new DownloadPlan("empty.bin", 0, elevens, [Nowhere]);
        var (downloader, transfer) = Start(plan);

        var error = await Assert.ThrowsAsync<DownloadException>(() => downloader.DownloadAsync(plan, transfer, null, Token));

        Assert.Contains("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", error.Message, StringComparison.Ordinal);
        Assert.Equal(TransferState.Failed, transfer.State);
        Assert.Empty(System.IO.Directory.GetFileSystemEntries(downloader.Folder));
    }

    [Fact]
    public async Task An_empty_file_with_the_id_of_no_bytes_is_saved_without_asking_anyone()
    {
        var plan = new DownloadPlan("empty.bin", 0, ContentHasher.Compute([]), [Nowhere]);
        var (downloader, transfer) = Start(plan);

        var result = await downloader.DownloadAsync(plan, transfer, null, Token);

        Assert.Equal(0, new FileInfo(result.Path).Length);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", result.Id.ToString());
    }

    [Theory]
    [InlineData(1UL << 62)]
    [InlineData((1UL << 63) + 5)]
    [InlineData(ulong.MaxValue)]
    [InlineData(549_754_765_312UL + 1)]
    public async Task Huge_sizes_crash_get__a_size_past_what_one_HASH_LIST_describes_is_refused_as_too_large(ulong size)
    {
        var plan = new DownloadPlan("huge.bin", size, ContentHasher.Compute([1]), [Nowhere]);
        var (downloader, transfer) = Start(plan);

        var error = await Assert.ThrowsAsync<DownloadException>(() => downloader.DownloadAsync(plan, transfer, null, Token));

        Assert.Contains("too large", error.Message, StringComparison.Ordinal);
        Assert.Contains("549754765312", error.Message, StringComparison.Ordinal);
        Assert.Equal(TransferState.Failed, transfer.State);
        Assert.Empty(System.IO.Directory.GetFileSystemEntries(downloader.Folder));
    }

    private (Downloader Downloader, Transfer Transfer) Start(DownloadPlan plan)
    {
        var downloader = new Downloader(Path.Combine(_folder.Path, "out"), NullLogger.Instance) { Options = new DownloadOptions { ConnectTimeout = TimeSpan.FromSeconds(2) } };
        System.IO.Directory.CreateDirectory(downloader.Folder);
        return (downloader, new TransferTracker().Start(TransferDirection.Download, "test", plan.Name, 0));
    }
}
