using System.Net;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

public sealed class ConnectionLimiterTests
{
    private static readonly IPAddress A = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress B = IPAddress.Parse("10.0.0.2");

    [Fact]
    public void One_address_is_capped_without_keeping_others_out()
    {
        var limiter = new ConnectionLimiter(maxConnections: 10, maxPerAddress: 2);

        Assert.True(limiter.TryAdmit(A, out _, out _));
        Assert.True(limiter.TryAdmit(A, out _, out _));
        Assert.False(limiter.TryAdmit(A, out var exceeded, out var open));
        Assert.Equal(ConnectionLimit.PerAddress, exceeded);
        Assert.Equal(2, open);
        Assert.True(limiter.TryAdmit(B, out _, out _));
        Assert.Equal(3, limiter.Open);
    }

    [Fact]
    public void The_total_cap_holds_across_addresses_and_a_release_frees_a_slot()
    {
        var limiter = new ConnectionLimiter(maxConnections: 2, maxPerAddress: 5);
        Assert.True(limiter.TryAdmit(A, out _, out _));
        Assert.True(limiter.TryAdmit(B, out _, out _));

        Assert.False(limiter.TryAdmit(B, out var exceeded, out var open));
        Assert.Equal(ConnectionLimit.Total, exceeded);
        Assert.Equal(2, open);

        limiter.Release(A);
        Assert.True(limiter.TryAdmit(B, out _, out _));
    }

    [Fact]
    public void An_IPv4_client_seen_through_a_dual_stack_socket_counts_as_its_IPv4_address()
    {
        var limiter = new ConnectionLimiter(maxConnections: 10, maxPerAddress: 1);

        Assert.True(limiter.TryAdmit(A, out _, out _));

        Assert.False(limiter.TryAdmit(A.MapToIPv6(), out var exceeded, out _));
        Assert.Equal(ConnectionLimit.PerAddress, exceeded);
        limiter.Release(A.MapToIPv6());
        Assert.Equal(0, limiter.Open);
    }

    [Fact]
    public void One_IPv6_64_cannot_get_around_the_per_address_cap_by_changing_addresses()
    {
        var limiter = new ConnectionLimiter(maxConnections: 100, maxPerAddress: 2);

        Assert.True(limiter.TryAdmit(IPAddress.Parse("2001:db8:1:2::1"), out _, out _));
        Assert.True(limiter.TryAdmit(IPAddress.Parse("2001:db8:1:2:ffff:ffff:ffff:ffff"), out _, out _));
        Assert.False(limiter.TryAdmit(IPAddress.Parse("2001:db8:1:2:abcd::7"), out var exceeded, out var open));
        Assert.Equal(ConnectionLimit.PerAddress, exceeded);
        Assert.Equal(2, open);

        // The next /64 is another group.
        Assert.True(limiter.TryAdmit(IPAddress.Parse("2001:db8:1:3::1"), out _, out _));

        // A release from any address of the /64 frees a slot of the group.
        limiter.Release(IPAddress.Parse("2001:db8:1:2::99"));
        Assert.True(limiter.TryAdmit(IPAddress.Parse("2001:db8:1:2::5"), out _, out _));
        Assert.Equal(3, limiter.Open);
    }
}
