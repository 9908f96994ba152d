using P2PShare.Peer;

namespace P2PShare.Tests.Peer;

/// <summary>
/// The shared upload limit serves its takers in the order they ask, so that no upload under it
/// goes silent while another sends: a receiver drops a source that sends nothing for its stall
/// timeout.
/// </summary>
public sealed class TokenBucketTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_upload_that_asks_once_is_served_before_one_that_keeps_asking_asks_again()
    {
        // 1 MiB/s in grants of 256 KiB: one grant every quarter of a second.
        var bucket = new TokenBucket(1 << 20);
        var grant = bucket.MaxGrant;
        var events = new List<string>();

        async Task KeepAskingAsync()
        {
            for (var i = 0; i < 6; i++)
            {
                await bucket.TakeAsync(grant, Token);
                lock (events)
                {
                    events.Add($"busy {i}");
                }
            }
        }

        var busy = KeepAskingAsync();
        await bucket.TakeAsync(grant, Token);
        lock (events)
        {
            events.Add("once");
        }

        await busy;
        Assert.True(events.IndexOf("once") < events.IndexOf("busy 1"), string.Join(", ", events));
    }

    [Fact]
    public async Task Uploads_that_give_up_while_waiting_hand_back_what_they_reserved()
    {
        // 64 KiB/s in grants of 16 KiB: one grant every quarter of a second.
        var bucket = new TokenBucket(64 * 1024);
        var grant = bucket.MaxGrant;
        var first = bucket.TakeAsync(grant, Token).AsTask();

        // Eight more uploads reserve two seconds' worth, then their downloaders disappear.
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var abandoned = Enumerable.Range(0, 8).Select(_ => bucket.TakeAsync(grant, gone.Token).AsTask()).ToList();
        await gone.CancelAsync();
        foreach (var wait in abandoned)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        }

        // The next upload waits behind the first only (about half a second in all), not behind
        // the two seconds the abandoned ones had reserved.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await first;
        await bucket.TakeAsync(grant, Token);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5), $"the next upload waited {clock.Elapsed.TotalSeconds:0.00} s");
    }
}
