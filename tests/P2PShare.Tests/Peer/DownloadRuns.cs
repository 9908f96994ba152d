using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>Downloads run to a point in tests: started, watched, stopped.</summary>
internal static class DownloadRuns
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static Transfer NewTransfer(DownloadPlan plan) =>
        new TransferTracker().Start(TransferDirection.Download, "test", plan.Name, (long)plan.Size);

    /// <summary>Waits until <paramref name="transfer"/> has written at least <paramref name="chunks"/> chunks; fails when <paramref name="download"/> ends first.</summary>
    public static async Task WaitForChunksAsync(Transfer transfer, Task download, int chunks)
    {
        var clock = Stopwatch.StartNew();
        while (transfer.BytesDone < (long)chunks * Limits.ChunkSize)
        {
            if (download.IsCompleted)
            {
                await download;
                Assert.Fail($"the download ended after {transfer.BytesDone} bytes, before {chunks} chunks were written");
            }

            Assert.True(clock.Elapsed < Patience, $"the download wrote only {transfer.BytesDone} bytes in {Patience.TotalSeconds} s");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>
    /// Starts <paramref name="plan"/> into <paramref name="output"/> and cancels it once
    /// <paramref name="chunks"/> chunks are written: what a resume then finds.
    /// </summary>
    public static async Task InterruptAsync(string output, DownloadPlan plan, int chunks)
    {
        var downloader = new Downloader(output, NullLogger.Instance);
        var transfer = NewTransfer(plan);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var download = downloader.DownloadAsync(plan, transfer, null, stop.Token);
        await WaitForChunksAsync(transfer, download, chunks);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => download);
    }
}
