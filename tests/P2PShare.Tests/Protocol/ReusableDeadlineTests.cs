using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary>The per-connection deadline: fires, combines with the caller's token, and is reusable after either.</summary>
public class ReusableDeadlineTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task It_fires_after_its_timeout_and_the_next_start_is_fresh()
    {
        using var deadline = new ReusableDeadline();
        var fired = deadline.Start(TimeSpan.FromMilliseconds(50), CancellationToken.None);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.Delay(Timeout.InfiniteTimeSpan, fired).WaitAsync(TimeSpan.FromSeconds(30), Token));
        deadline.Stop();

        var fresh = deadline.Start(TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.False(fresh.IsCancellationRequested);
        deadline.Stop();
    }

    [Fact]
    public async Task A_stopped_deadline_does_not_fire_later()
    {
        using var deadline = new ReusableDeadline();
        var token = deadline.Start(TimeSpan.FromMilliseconds(50), CancellationToken.None);
        deadline.Stop();
        await Task.Delay(200, Token);
        Assert.False(token.IsCancellationRequested);
    }

    [Fact]
    public void The_callers_cancellation_cancels_the_operation_and_is_forgotten_after_stop()
    {
        using var deadline = new ReusableDeadline();
        using var caller = new CancellationTokenSource();
        var token = deadline.Start(TimeSpan.FromSeconds(30), caller.Token);
        caller.Cancel();
        Assert.True(token.IsCancellationRequested);
        deadline.Stop();

        using var other = new CancellationTokenSource();
        var next = deadline.Start(TimeSpan.FromSeconds(30), other.Token);
        Assert.False(next.IsCancellationRequested);
        deadline.Stop();
    }

    [Fact]
    public void An_already_cancelled_caller_token_cancels_at_once()
    {
        using var deadline = new ReusableDeadline();
        var token = deadline.Start(TimeSpan.FromSeconds(30), new CancellationToken(canceled: true));
        Assert.True(token.IsCancellationRequested);
        deadline.Stop();
    }

    [Fact]
    public void No_timeout_means_the_callers_token_itself()
    {
        using var deadline = new ReusableDeadline();
        using var caller = new CancellationTokenSource();
        Assert.Equal(caller.Token, deadline.Start(Timeout.InfiniteTimeSpan, caller.Token));
        deadline.Stop();
    }

    [Fact]
    public void Disposing_under_an_operation_is_harmless()
    {
        var deadline = new ReusableDeadline();
        using var caller = new CancellationTokenSource();
        deadline.Start(TimeSpan.FromSeconds(30), caller.Token);
        deadline.Dispose();
        caller.Cancel();
        deadline.Stop();
    }
}
