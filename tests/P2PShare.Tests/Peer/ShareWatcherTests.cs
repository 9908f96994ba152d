using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Peer;

namespace P2PShare.Tests.Peer;

/// <summary>The share watcher turns bursts of file events into single rescans; the scan leaves out files still being written.</summary>
public sealed class ShareWatcherTests
{
    // Long enough that a slow machine does not see a file settle before the test means it to.
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_burst_of_changes_makes_one_rescan_once_the_folder_is_quiet()
    {
        using var folder = new TempFolder();
        var rescans = 0;
        var watcher = new ShareWatcher(folder.Path, _ => Rescan(ref rescans), NullLogger.Instance) { Debounce = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(10) };
        await using (watcher)
        {
            watcher.Start();
            for (var i = 0; i < 20; i++)
            {
                folder.Write($"sub/file{i}.bin", [(byte)i]);
                await Task.Delay(20, Token);
            }

            await WaitForAsync(() => Volatile.Read(ref rescans) >= 1, TimeSpan.FromSeconds(8));
            await Task.Delay(1500, Token);
            Assert.Equal(1, Volatile.Read(ref rescans));

            File.Delete(Path.Combine(folder.Path, "sub", "file0.bin"));
            await WaitForAsync(() => Volatile.Read(ref rescans) >= 2, TimeSpan.FromSeconds(8));
            await Task.Delay(1500, Token);
            Assert.Equal(2, Volatile.Read(ref rescans));
        }
    }

    [Fact]
    public async Task Partial_downloads_do_not_cause_rescans_and_their_completion_does()
    {
        using var folder = new TempFolder();
        var rescans = 0;
        var watcher = new ShareWatcher(folder.Path, _ => Rescan(ref rescans), NullLogger.Instance) { Debounce = TimeSpan.FromMilliseconds(200) };
        await using (watcher)
        {
            watcher.Start();
            var part = folder.Write("downloads/movie.bin.part", new byte[1000]);
            folder.Write("downloads/movie.bin.part.state", [1, 2]);
            File.Move(Path.Combine(folder.Path, "downloads/movie.bin.part.state"), Path.Combine(folder.Path, "downloads/movie.bin.part.state.tmp"));
            await using (var stream = new FileStream(part, FileMode.Append))
            {
                stream.Write(new byte[5000]);
            }

            // Creating the downloads folder itself may be seen; wait for that to settle, then count.
            await Task.Delay(1500, Token);
            var before = Volatile.Read(ref rescans);
            await using (var stream = new FileStream(part, FileMode.Append))
            {
                stream.Write(new byte[5000]);
            }

            File.WriteAllBytes(part + ".state", [3]);
            await Task.Delay(700, Token);
            Assert.Equal(before, Volatile.Read(ref rescans));

            File.Move(part, Path.Combine(folder.Path, "downloads/movie.bin"));
            await WaitForAsync(() => Volatile.Read(ref rescans) > before, TimeSpan.FromSeconds(5));
        }

        Assert.False(ShareWatcher.Matters("/x/a.part"));
        Assert.False(ShareWatcher.Matters("/x/a.part.state"));
        Assert.False(ShareWatcher.Matters("/x/a.part.state.tmp"));
        Assert.True(ShareWatcher.Matters("/x/a.partition"));
    }

    [Fact]
    public async Task A_rescan_that_left_files_unsettled_is_followed_up_without_events_and_the_periodic_one_runs()
    {
        using var folder = new TempFolder();
        var rescans = 0;
        var watcher = new ShareWatcher(
            folder.Path,
            _ => Task.FromResult<TimeSpan?>(Interlocked.Increment(ref rescans) == 1 ? TimeSpan.FromMilliseconds(200) : null),
            NullLogger.Instance)
        {
            Debounce = TimeSpan.FromMilliseconds(100),
            SafetyInterval = TimeSpan.FromSeconds(3),
        };
        await using (watcher)
        {
            var clock = Stopwatch.StartNew();
            watcher.Start();
            watcher.Notify();
            await WaitForAsync(() => Volatile.Read(ref rescans) >= 2, TimeSpan.FromSeconds(2.5));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"follow-up after {clock.Elapsed}");
            await WaitForAsync(() => Volatile.Read(ref rescans) >= 3, TimeSpan.FromSeconds(8));
            Assert.True(clock.Elapsed > TimeSpan.FromSeconds(3), $"periodic rescan after {clock.Elapsed}");
        }
    }

    [Fact]
    public async Task A_failing_rescan_does_not_stop_the_watcher()
    {
        using var folder = new TempFolder();
        var rescans = 0;
        var watcher = new ShareWatcher(
            folder.Path,
            _ => Interlocked.Increment(ref rescans) == 1 ? throw new IOException("disk on fire") : Task.FromResult<TimeSpan?>(null),
            NullLogger.Instance)
        {
            Debounce = TimeSpan.FromMilliseconds(50),
        };
        await using (watcher)
        {
            watcher.Start();
            watcher.Notify();
            await WaitForAsync(() => Volatile.Read(ref rescans) >= 1, TimeSpan.FromSeconds(3));
            await Task.Delay(200, Token);
            watcher.Notify();
            await WaitForAsync(() => Volatile.Read(ref rescans) >= 2, TimeSpan.FromSeconds(3));
        }
    }

    [Fact]
    public async Task A_scan_with_a_settle_time_leaves_out_files_written_too_recently_until_they_settle()
    {
        using var folder = new TempFolder();
        var old = folder.Write("old.bin", [1, 2, 3]);
        File.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddMinutes(-5));
        var fresh = folder.Write("fresh.bin", [4, 5, 6]);
        using var index = new ShareIndex(folder.Path);

        var changes = await index.RescanAsync(null, Settle, Token);
        Assert.Equal(["old.bin"], changes.Added.Select(e => e.Name));
        Assert.Equal(1, index.UnsettledFiles);
        Assert.NotNull(index.FirstSettlesUtc);
        Assert.InRange(index.FirstSettlesUtc!.Value, DateTime.UtcNow, DateTime.UtcNow + Settle);

        // Once it has not changed for the settle time, it is shared.
        File.SetLastWriteTimeUtc(fresh, DateTime.UtcNow.AddMinutes(-1));
        changes = await index.RescanAsync(null, Settle, Token);
        Assert.Equal(["fresh.bin"], changes.Added.Select(e => e.Name));
        Assert.Equal(0, index.UnsettledFiles);
        Assert.Null(index.FirstSettlesUtc);

        // A shared file being rewritten stops being served (its old id is gone) until it settles.
        File.WriteAllBytes(old, [9, 9, 9, 9]);
        changes = await index.RescanAsync(null, Settle, Token);
        Assert.Equal(["old.bin"], changes.Removed);
        Assert.False(index.TryGet("old.bin", out _));
        File.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddMinutes(-1));
        changes = await index.RescanAsync(null, Settle, Token);
        Assert.Equal(["old.bin"], changes.Added.Select(e => e.Name));
        Assert.True(index.TryGet("old.bin", out var file));
        Assert.Equal(4, file.Size);

        // A time far in the future does not keep a file out for ever; without a settle time nothing waits.
        var future = folder.Write("future.bin", [7]);
        File.SetLastWriteTimeUtc(future, DateTime.UtcNow.AddHours(1));
        folder.Write("now.bin", [8]);
        changes = await index.RescanAsync(null, Settle, Token);
        Assert.Equal(["future.bin"], changes.Added.Select(e => e.Name));
        changes = await index.RescanAsync(Token);
        Assert.Equal(["now.bin"], changes.Added.Select(e => e.Name));
    }

    private static Task<TimeSpan?> Rescan(ref int rescans)
    {
        Interlocked.Increment(ref rescans);
        return Task.FromResult<TimeSpan?>(null);
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < limit, "timed out waiting for the watcher");
            await Task.Delay(20, Token);
        }
    }
}
