using System.Net;

namespace P2PShare.Peer;

/// <summary>
/// The sources one download has taken on (over all the contents it tries), by address:
/// at most <see cref="SourceLimits.MaxPerAddress"/> from one IPv4 address or IPv6 /64, those that
/// failed included. So an address that registers a name under many ports supplies a few sources,
/// never most of a download's, and makes it try a few of them, never hundreds one after another.
/// Thread-safe.
/// </summary>
internal sealed class SourceAdmission(int maxPerAddress)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, HashSet<string>> _taken = [];

    /// <summary>True when <paramref name="source"/> may be used: it was taken on before, or its address has room (it is then counted).</summary>
    public bool TryTake(DownloadSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var address = source.AddressGroup;
        lock (_lock)
        {
            if (!_taken.TryGetValue(address, out var names))
            {
                _taken[address] = names = new HashSet<string>(StringComparer.Ordinal);
            }

            return names.Contains(source.Name) || (names.Count < maxPerAddress && names.Add(source.Name));
        }
    }
}
