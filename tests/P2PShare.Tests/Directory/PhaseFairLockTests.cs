using P2PShare.Directory;

namespace P2PShare.Tests.Directory;

/// <summary>
/// The registry's lock: readers that queue behind a writer go before the next writer, and a
/// writer waits only for the readers already in (issue 13, item 2: with writers preferred, a
/// stream of registrations kept every search waiting).
/// </summary>
public sealed class PhaseFairLockTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Readers_queued_behind_a_writer_go_before_the_next_writer()
    {
        var gate = new PhaseFairLock();
        var order = new List<string>();
        gate.EnterWrite();
        var reader = Waiting(() => gate.EnterRead(), () =>
        {
            lock (order)
            {
                order.Add("reader");
            }

            gate.ExitRead();
        });
        await WaitForAsync(() => gate.Waiting == (1, 0));
        var writer = Waiting(() => gate.EnterWrite(), () =>
        {
            lock (order)
            {
                order.Add("writer");
            }

            gate.ExitWrite();
        });
        await WaitForAsync(() => gate.Waiting == (1, 1));

        gate.ExitWrite();
        await Task.WhenAll(reader, writer).WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal(["reader", "writer"], order);
    }

    [Fact]
    public async Task A_writer_waits_for_the_readers_inside_and_new_readers_wait_for_it()
    {
        var gate = new PhaseFairLock();
        gate.EnterRead();
        var writerIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseWriter = new ManualResetEventSlim();
        var writer = Waiting(() => gate.EnterWrite(), () =>
        {
            writerIn.SetResult();
            releaseWriter.Wait(Patience);
            gate.ExitWrite();
        });
        await WaitForAsync(() => gate.Waiting == (0, 1));
        Assert.False(writerIn.Task.IsCompleted);

        // A reader that comes now does not slip in front of the waiting writer.
        var lateReader = Waiting(() => gate.EnterRead(), () => gate.ExitRead());
        await WaitForAsync(() => gate.Waiting == (1, 1));
        gate.ExitRead();
        await writerIn.Task.WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.False(lateReader.IsCompleted);
        releaseWriter.Set();
        await Task.WhenAll(writer, lateReader).WaitAsync(Patience, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Neither_a_stream_of_writers_nor_a_stream_of_readers_starves_the_other()
    {
        var gate = new PhaseFairLock();
        using var stop = new CancellationTokenSource();
        var reads = 0;
        var writes = 0;
        var shared = 0;
        var writers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                gate.EnterWrite();
                // Exclusive: nobody else is inside.
                Assert.Equal(0, Interlocked.Exchange(ref shared, -1));
                Thread.SpinWait(2000);
                Interlocked.Exchange(ref shared, 0);
                gate.ExitWrite();
                Interlocked.Increment(ref writes);
            }
        })).ToArray();
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                gate.EnterRead();
                Assert.True(Interlocked.Increment(ref shared) > 0);
                Thread.SpinWait(2000);
                Interlocked.Decrement(ref shared);
                gate.ExitRead();
                Interlocked.Increment(ref reads);
            }
        })).ToArray();

        // Both kinds keep getting in.
        for (var round = 0; round < 3; round++)
        {
            var (r, w) = (Volatile.Read(ref reads), Volatile.Read(ref writes));
            await WaitForAsync(() => Volatile.Read(ref reads) > r + 10 && Volatile.Read(ref writes) > w + 10);
        }

        await stop.CancelAsync();
        await Task.WhenAll(writers.Concat(readers)).WaitAsync(Patience, TestContext.Current.CancellationToken);
    }

    /// <summary>Runs <paramref name="enter"/> then <paramref name="inside"/> on a thread of its own.</summary>
    private static Task Waiting(Action enter, Action inside) => Task.Factory.StartNew(
        () =>
        {
            enter();
            inside();
        },
        CancellationToken.None,
        TaskCreationOptions.LongRunning,
        TaskScheduler.Default);

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Patience, "the condition did not come true in time");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }
}
