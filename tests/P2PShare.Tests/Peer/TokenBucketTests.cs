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
}
