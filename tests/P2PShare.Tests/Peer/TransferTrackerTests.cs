using P2PShare.Peer;

namespace P2PShare.Tests.Peer;

public sealed class TransferTrackerTests
{
    [Fact]
    public void Transfers_are_numbered_in_start_order_and_track_progress()
    {
        var tracker = new TransferTracker();
        var first = tracker.Start(TransferDirection.Upload, "127.0.0.1:1", "a", 100);
        var second = tracker.Start(TransferDirection.Download, "127.0.0.1:2", "b", 0);

        first.AddBytes(40);
        second.Complete("/tmp/b");

        Assert.Equal([1, 2], tracker.Snapshot().Select(t => t.Number));
        Assert.Equal(0.4, first.Progress, 3);
        Assert.Equal(1, second.Progress);
        Assert.Equal(1, tracker.RunningCount(TransferDirection.Upload));
        Assert.Equal(0, tracker.RunningCount(TransferDirection.Download));
    }

    [Fact]
    public void A_transfer_ends_once_whatever_is_reported_later()
    {
        var transfer = new TransferTracker().Start(TransferDirection.Download, "-", "a", 10);

        transfer.Fail("source died");
        transfer.Complete("/tmp/a");

        Assert.Equal(TransferState.Failed, transfer.State);
        Assert.Equal("source died", transfer.Error);
        Assert.Null(transfer.ResultPath);
    }

    [Fact]
    public void Old_finished_transfers_are_forgotten_but_running_ones_never()
    {
        var tracker = new TransferTracker();
        var running = tracker.Start(TransferDirection.Upload, "-", "long", 1);
        for (var i = 0; i < TransferTracker.MaxFinishedKept + 50; i++)
        {
            tracker.Start(TransferDirection.Upload, "-", $"f{i}", 1).Complete();
        }

        tracker.Start(TransferDirection.Upload, "-", "last", 1);

        var snapshot = tracker.Snapshot();
        Assert.Contains(running, snapshot);
        Assert.Equal(TransferTracker.MaxFinishedKept, snapshot.Count(t => t.IsFinished));
        Assert.Equal("f249", snapshot.Last(t => t.IsFinished).FileName);
    }

    [Fact]
    public void Total_bytes_done_count_every_transfer_of_a_direction_the_forgotten_ones_too()
    {
        var tracker = new TransferTracker();
        var running = tracker.Start(TransferDirection.Upload, "-", "long", 1000);
        running.AddBytes(7);
        tracker.Start(TransferDirection.Download, "-", "in", 100).AddBytes(100);
        for (var i = 0; i < TransferTracker.MaxFinishedKept + 50; i++)
        {
            var upload = tracker.Start(TransferDirection.Upload, "-", $"f{i}", 10);
            upload.AddBytes(10);
            upload.Complete();
        }

        tracker.Start(TransferDirection.Upload, "-", "last", 1);

        Assert.True(tracker.Snapshot().Count(t => t.Direction == TransferDirection.Upload) < TransferTracker.MaxFinishedKept + 52, "nothing was forgotten, so the test proves nothing");
        Assert.Equal(7 + ((TransferTracker.MaxFinishedKept + 50) * 10), tracker.TotalBytesDone(TransferDirection.Upload));
        Assert.Equal(100, tracker.TotalBytesDone(TransferDirection.Download));
    }
}
