using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace P2PShare.Directory;

/// <summary>
/// A peer's key with its address as the 4 or 16 bytes a RESULTS frame carries, kept by the
/// registry per peer slot: an answer writes the address of every peer it names, and reading
/// bytes from one array costs less than reaching each peer's address object.
/// </summary>
internal readonly struct WirePeer
{
    private readonly UInt128 _address;
    private readonly byte _addressLength;

    public WirePeer(PeerKey key)
    {
        Key = key;
        Span<byte> address = stackalloc byte[16];
        key.Address.TryWriteBytes(address, out var length);
        _address = MemoryMarshal.Read<UInt128>(address);
        _addressLength = (byte)length;
    }

    public PeerKey Key { get; }

    /// <summary>The address in network order: 4 bytes for IPv4, 16 for IPv6.</summary>
    [UnscopedRef]
    public ReadOnlySpan<byte> Address => MemoryMarshal.AsBytes(new ReadOnlySpan<UInt128>(in _address))[.._addressLength];
}
