using System.Net;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

public sealed class AddressGroupTests
{
    [Theory]
    [InlineData("192.0.2.7", "192.0.2.7")]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::")]
    [InlineData("::1", "::")]
    public void An_IPv6_address_counts_as_its_64_prefix_and_IPv4_as_itself(string address, string group) =>
        Assert.Equal(IPAddress.Parse(group), AddressGroup.Of(IPAddress.Parse(address)));

    [Fact]
    public void Two_addresses_of_one_64_are_one_group_and_of_two_are_two()
    {
        Assert.Equal(AddressGroup.Of(IPAddress.Parse("2001:db8::1")), AddressGroup.Of(IPAddress.Parse("2001:db8::ffff:1")));
        Assert.NotEqual(AddressGroup.Of(IPAddress.Parse("2001:db8:0:0::1")), AddressGroup.Of(IPAddress.Parse("2001:db8:0:1::1")));
    }

    [Fact]
    public void A_scope_id_is_not_part_of_the_group()
    {
        var scoped = IPAddress.Parse("fe80::1%2");
        Assert.Equal(IPAddress.Parse("fe80::"), AddressGroup.Of(scoped));
        Assert.Equal("fe80::/64", AddressGroup.Describe(AddressGroup.Of(scoped)));
    }
}
