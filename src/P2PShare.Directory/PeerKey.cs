using System.Net;
using P2PShare.Protocol;

namespace P2PShare.Directory;

/// <summary>
/// Identifies an online peer: the source address of its REGISTER connection and the port it
/// announced. The address comes from the socket, never from a payload, so a peer cannot register
/// files on someone else's behalf. An IPv4-mapped IPv6 address (what a dual-mode listener reports
/// for an IPv4 client) is normalized to plain IPv4, so the same peer gets the same key whichever
/// way the server listens, and RESULTS carry the 4-byte form.
/// </summary>
public readonly record struct PeerKey(IPAddress Address, ushort Port)
{
    /// <summary>The normalized address (IPv4 when the given one was IPv4-mapped IPv6).</summary>
    public IPAddress Address { get; } = MessageCodec.NormalizeAddress(Address);

    public IPEndPoint EndPoint => new(Address, Port);

    /// <summary>"127.0.0.1:3301" or "[::1]:3301", as used in logs.</summary>
    public override string ToString() => EndPoint.ToString();
}
