using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Peer;
using P2PShare.Testing;

namespace P2PShare.Tests.Peer;

/// <summary>
/// Issue 13, item 14, "Disk full is found late": a download that cannot fit fails before it
/// fetches a chunk, and one that has started keeps writing its chunks and its resume record when
/// the disk fills up meanwhile. Real downloads into a small tmpfs (mounting one needs root: the
/// tests skip, saying so, where it is refused).
/// </summary>
public sealed class DownloadDiskFullTests : IDisposable
{
    private const int MiB = 1024 * 1024;

    private readonly TempFolder _folder = new();
    private TmpfsMount? _disk;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _disk?.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task Disk_full_is_found_before_fetching_a_chunk_and_nothing_is_left_behind()
    {
        var output = Path.Combine(MountSmallDisk(10 * MiB), "out");
        var content = Random(30_000_000, seed: 14);
        await using var source = await StartAsync(content, limit: 0);
        var transfer = DownloadRuns.NewTransfer(source.Plan);

        var error = await Assert.ThrowsAsync<DownloadException>(() => new Downloader(output, NullLogger.Instance).DownloadAsync(source.Plan, transfer, null, Token));

        Assert.Contains("disk is full", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, transfer.Sources.Sum(s => s.ChunksReceived));
        Assert.Equal(0, transfer.BytesDone);
        Assert.Empty(System.IO.Directory.EnumerateFileSystemEntries(output));
    }

    [Fact]
    public async Task Disk_full_during_a_download_stops_neither_its_chunks_nor_its_resume_record()
    {
        var disk = MountSmallDisk(40 * MiB);
        var output = Path.Combine(disk, "out");
        var content = Random(24 * MiB, seed: 15);
        await using var source = await StartAsync(content, limit: 8_000_000);
        var transfer = DownloadRuns.NewTransfer(source.Plan);
        // The record rewritten after every chunk: each rewrite lands on a full disk.
        var downloader = new Downloader(output, NullLogger.Instance) { Options = new DownloadOptions { ResumeRecordInterval = TimeSpan.Zero } };
        var download = downloader.DownloadAsync(source.Plan, transfer, null, Token);
        await DownloadRuns.WaitForChunksAsync(transfer, download, 2);

        _disk!.Fill("filler");

        var result = await download;
        Assert.Equal(content, File.ReadAllBytes(result.Path));
    }

    private string MountSmallDisk(long bytes)
    {
        _disk = TmpfsMount.TryCreate(bytes, out var reason);
        if (_disk is null)
        {
            Assert.Skip(reason);
        }

        return _disk.Path;
    }

    private Task<LoopbackUpload> StartAsync(byte[] content, long limit) =>
        LoopbackUpload.StartAsync(Path.Combine(_folder.Path, "share"), "file.bin", content, limit, Token);

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
