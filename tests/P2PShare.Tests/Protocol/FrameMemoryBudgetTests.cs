using System.Net;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary>The budget itself: per address group, in all, given back, and what a refusal says.</summary>
public sealed class FrameMemoryBudgetTests
{
    private const long MiB = 1024 * 1024;

    private static readonly IPAddress A = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress B = IPAddress.Parse("10.0.0.2");

    [Fact]
    public void One_address_is_held_to_its_limit_while_another_still_gets_its_share()
    {
        var budget = new FrameMemoryBudget(maxBytesPerAddress: 20 * MiB, maxBytesInAll: 100 * MiB);

        Assert.Null(budget.TryTake(A, 16 * MiB));
        Assert.Null(budget.TryTake(A, 4 * MiB));
        var refusal = budget.TryTake(A, 1);

        Assert.NotNull(refusal);
        Assert.StartsWith("busy: ", refusal, StringComparison.Ordinal);
        Assert.Contains("10.0.0.1", refusal, StringComparison.Ordinal);
        Assert.Contains($"limit of {20 * MiB} bytes per address", refusal, StringComparison.Ordinal);
        Assert.Equal(20 * MiB, budget.BytesHeldBy(A));
        Assert.Null(budget.TryTake(B, 20 * MiB));
        Assert.Equal(40 * MiB, budget.BytesHeld);
    }

    [Fact]
    public void The_total_is_held_to_its_limit_across_addresses_and_a_refusal_takes_nothing()
    {
        var budget = new FrameMemoryBudget(maxBytesPerAddress: 16 * MiB, maxBytesInAll: 20 * MiB);
        Assert.Null(budget.TryTake(A, 16 * MiB));

        var refusal = budget.TryTake(B, 8 * MiB);

        Assert.NotNull(refusal);
        Assert.Contains($"the server's limit of {20 * MiB} bytes", refusal, StringComparison.Ordinal);
        Assert.Equal(0, budget.BytesHeldBy(B));
        Assert.Equal(16 * MiB, budget.BytesHeld);
        Assert.Null(budget.TryTake(B, 4 * MiB));
    }

    [Fact]
    public void What_is_given_back_can_be_taken_again()
    {
        var budget = new FrameMemoryBudget(16 * MiB, 16 * MiB);
        Assert.Null(budget.TryTake(A, 16 * MiB));
        Assert.NotNull(budget.TryTake(B, 1));

        budget.Give(A, 10 * MiB);
        Assert.Null(budget.TryTake(B, 10 * MiB));
        budget.Give(A, 6 * MiB);
        budget.Give(B, 10 * MiB);

        Assert.Equal(0, budget.BytesHeld);
        Assert.Equal(0, budget.BytesHeldBy(A));
        Assert.Throws<InvalidOperationException>(() => budget.Give(A, 1));
    }

    [Fact]
    public void All_addresses_of_one_IPv6_64_share_one_limit()
    {
        var budget = new FrameMemoryBudget(16 * MiB, 100 * MiB);

        Assert.Null(budget.TryTake(IPAddress.Parse("2001:db8:0:1::1"), 10 * MiB));
        var refusal = budget.TryTake(IPAddress.Parse("2001:db8:0:1:ffff::2"), 10 * MiB);

        Assert.NotNull(refusal);
        Assert.Contains("2001:db8:0:1::/64", refusal, StringComparison.Ordinal);
        Assert.Null(budget.TryTake(IPAddress.Parse("2001:db8:0:2::1"), 10 * MiB));
        Assert.Equal(10 * MiB, budget.BytesHeldBy(IPAddress.Parse("2001:db8:0:1::99")));
        budget.Give(IPAddress.Parse("2001:db8:0:1::7"), 10 * MiB);
        Assert.Equal(0, budget.BytesHeldBy(IPAddress.Parse("2001:db8:0:1::1")));
    }

    [Fact]
    public void An_IPv4_client_seen_through_a_dual_stack_socket_counts_as_its_IPv4_address()
    {
        var budget = new FrameMemoryBudget(16 * MiB, 100 * MiB);

        Assert.Null(budget.TryTake(A.MapToIPv6(), 16 * MiB));

        Assert.NotNull(budget.TryTake(A, 1));
        budget.Give(A, 16 * MiB);
        Assert.Equal(0, budget.BytesHeld);
    }

    [Fact]
    public void Either_limit_must_leave_room_for_one_frame_of_the_largest_size()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameMemoryBudget(16 * MiB - 1, 100 * MiB));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameMemoryBudget(32 * MiB, 16 * MiB));
        Assert.Equal(16 * MiB, new FrameMemoryBudget(16 * MiB, 16 * MiB).MaxBytesInAll);
    }
}
