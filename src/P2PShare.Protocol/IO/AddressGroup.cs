using System.Net;

namespace P2PShare.Protocol;

/// <summary>
/// The unit a per-address limit counts: an IPv4 address (IPv4-mapped IPv6 addresses as IPv4),
/// or the /64 network of an IPv6 address. One IPv6 host is usually handed a whole /64 and can
/// pick any address in it, so counting exact IPv6 addresses would let one host get around every
/// per-address limit.
/// </summary>
public static class AddressGroup
{
    private const int IPv6PrefixBytes = 8;

    /// <summary>
    /// The group <paramref name="address"/> belongs to, as an address: the address itself for
    /// IPv4, the /64 prefix with the other 64 bits zero (and no scope id) for IPv6.
    /// </summary>
    public static IPAddress Of(IPAddress address)
    {
        address = MessageCodec.NormalizeAddress(address);
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[IPv6PrefixBytes..].Clear();
        return new IPAddress(bytes);
    }

    /// <summary>How a group is written in logs and ERROR texts: <c>192.0.2.7</c> or <c>2001:db8:1:2::/64</c>.</summary>
    public static string Describe(IPAddress group) =>
        group.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"{group}/64" : group.ToString();
}
