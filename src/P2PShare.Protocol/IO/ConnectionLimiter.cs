using System.Net;

namespace P2PShare.Protocol;

/// <summary>Which connection cap a new connection would exceed.</summary>
public enum ConnectionLimit
{
    None,

    /// <summary>The cap on connections in all.</summary>
    Total,

    /// <summary>The cap on connections from one address group (<see cref="AddressGroup"/>).</summary>
    PerAddress,
}

/// <summary>
/// Counts open connections in all and per remote address group (an IPv4 address or an IPv6 /64,
/// <see cref="AddressGroup"/>: one IPv6 host can pick any address of its /64, so counting exact
/// addresses would not cap it), and refuses one that would exceed either cap — what keeps one
/// client (or a crowd) from taking every slot of a server. The directory and the peer's upload
/// server answer a refusal with ERROR 4 (busy). Thread-safe.
/// </summary>
public sealed class ConnectionLimiter
{
    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly int _maxConnections;
    private readonly int _maxPerAddress;
    private int _open;

    public ConnectionLimiter(int maxConnections, int maxPerAddress)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxConnections);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPerAddress);
        _maxConnections = maxConnections;
        _maxPerAddress = maxPerAddress;
    }

    /// <summary>Connections counted and not yet released.</summary>
    public int Open
    {
        get
        {
            lock (_lock)
            {
                return _open;
            }
        }
    }

    /// <summary>
    /// Counts a new connection from <paramref name="address"/>; or, when a cap is reached, counts
    /// nothing and says which cap, with the number of connections already counted against it
    /// (for <see cref="ConnectionLimit.PerAddress"/>, from the address's group).
    /// </summary>
    public bool TryAdmit(IPAddress address, out ConnectionLimit exceeded, out int alreadyOpen)
    {
        address = AddressGroup.Of(address);
        lock (_lock)
        {
            if (_open >= _maxConnections)
            {
                (exceeded, alreadyOpen) = (ConnectionLimit.Total, _open);
                return false;
            }

            var fromAddress = _perAddress.GetValueOrDefault(address);
            if (fromAddress >= _maxPerAddress)
            {
                (exceeded, alreadyOpen) = (ConnectionLimit.PerAddress, fromAddress);
                return false;
            }

            _perAddress[address] = fromAddress + 1;
            _open++;
            (exceeded, alreadyOpen) = (ConnectionLimit.None, 0);
            return true;
        }
    }

    /// <summary>Releases a connection counted by <see cref="TryAdmit"/>.</summary>
    public void Release(IPAddress address)
    {
        address = AddressGroup.Of(address);
        lock (_lock)
        {
            _open--;
            var left = _perAddress.GetValueOrDefault(address) - 1;
            if (left > 0)
            {
                _perAddress[address] = left;
            }
            else
            {
                _perAddress.Remove(address);
            }
        }
    }
}
