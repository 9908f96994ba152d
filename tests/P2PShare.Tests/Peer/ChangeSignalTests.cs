using P2PShare.Peer;

namespace P2PShare.Tests.Peer;

/// <summary>The download coordinator's wake-up: a pulse between looking and waiting must not be lost.</summary>
public sealed class ChangeSignalTests
{
    [Fact]
    public async Task A_pulse_after_Next_was_taken_completes_it_and_a_later_Next_waits_for_the_next_pulse()
    {
        var signal = new ChangeSignal();
        var taken = signal.Next;
        Assert.False(taken.IsCompleted);

        signal.Pulse(); // the pulse lands between the look at the state and the wait

        Assert.True(taken.IsCompleted);
        await ChangeSignal.WaitAsync(taken, Timeout.InfiniteTimeSpan, TestContext.Current.CancellationToken);
        var later = signal.Next;
        Assert.False(later.IsCompleted);
        signal.Pulse();
        Assert.True(later.IsCompleted);
    }
}
