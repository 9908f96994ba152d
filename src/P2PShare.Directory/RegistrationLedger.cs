using System.Globalization;
using System.Net;
using P2PShare.Protocol;

namespace P2PShare.Directory;

/// <summary>
/// What each address (<see cref="AddressGroup"/>) and everyone together have registered —
/// files, name bytes, index memory — checked against the <see cref="RegistrationQuotas"/>
/// before a REGISTER or ADD changes anything. Per-peer figures are kept by the registry with
/// each peer and passed in. Not thread-safe: the registry calls it under its lock (reads under
/// the read lock, changes under the write lock).
/// </summary>
internal sealed class RegistrationLedger(RegistrationQuotas quotas)
{
    private readonly Dictionary<IPAddress, RegisteredAmount> _byAddress = [];
    private RegisteredAmount _total;

    public RegistrationQuotas Quotas => quotas;

    /// <summary>Live files and name bytes in all, and the memory charged to addresses.</summary>
    public RegisteredAmount Total => _total;

    /// <summary>Number of addresses with something registered.</summary>
    public int AddressCount => _byAddress.Count;

    public RegisteredAmount Of(IPAddress group) => _byAddress.GetValueOrDefault(group);

    /// <summary>
    /// Why a request that would take a peer from <paramref name="peerBefore"/> to
    /// <paramref name="peerAfter"/> (the rest of the directory unchanged) must be refused, or
    /// null when it fits every quota. <paramref name="indexBytes"/> is the memory the index holds
    /// now, compaction copies included; memory figures in the amounts are estimates.
    /// </summary>
    public RequestRefusedException? Check(PeerKey peer, IPAddress group, RegisteredAmount peerBefore, RegisteredAmount peerAfter, long indexBytes)
    {
        var growth = peerAfter - peerBefore;
        if (peerAfter.Files > quotas.MaxFilesPerPeer)
        {
            return Refuse("--max-files-per-peer", $"peer {peer} would have {Count(peerAfter.Files)} files registered, over the limit of {Count(quotas.MaxFilesPerPeer)} per peer");
        }

        if (peerAfter.NameBytes > quotas.MaxNameBytesPerPeer)
        {
            return Refuse("--max-name-bytes-per-peer", $"peer {peer} would have {Count(peerAfter.NameBytes)} bytes of names registered, over the limit of {Count(quotas.MaxNameBytesPerPeer)} per peer");
        }

        var address = Of(group) + growth;
        var who = AddressGroup.Describe(group);
        if (growth.Files > 0 && address.Files > quotas.MaxFilesPerAddress)
        {
            return Refuse("--max-files-per-address", $"address {who} would have {Count(address.Files)} files registered, over the limit of {Count(quotas.MaxFilesPerAddress)} per address");
        }

        if (growth.NameBytes > 0 && address.NameBytes > quotas.MaxNameBytesPerAddress)
        {
            return Refuse("--max-name-bytes-per-address", $"address {who} would have {Count(address.NameBytes)} bytes of names registered, over the limit of {Count(quotas.MaxNameBytesPerAddress)} per address");
        }

        if (growth.Memory > 0 && address.Memory > quotas.MaxMemoryPerAddress)
        {
            return Refuse("--max-memory-per-address", $"the files of address {who} would take about {Mib(address.Memory)} of the directory's memory, over the limit of {Mib(quotas.MaxMemoryPerAddress)} per address");
        }

        var total = _total + growth;
        if (growth.Files > 0 && total.Files > quotas.MaxFiles)
        {
            return Refuse("--max-files", $"the directory would hold {Count(total.Files)} files, over its limit of {Count(quotas.MaxFiles)}");
        }

        if (growth.NameBytes > 0 && total.NameBytes > quotas.MaxNameBytes)
        {
            return Refuse("--max-name-bytes", $"the directory would hold {Count(total.NameBytes)} bytes of names, over its limit of {Count(quotas.MaxNameBytes)}");
        }

        if (growth.Memory > 0 && indexBytes + growth.Memory > quotas.MaxMemory)
        {
            return Refuse("--max-memory", $"the directory's index would need about {Mib(indexBytes + growth.Memory)}, over its memory budget of {Mib(quotas.MaxMemory)}");
        }

        return null;
    }

    /// <summary>Records that the peers of <paramref name="group"/> now hold <paramref name="change"/> more (or less, when negative).</summary>
    public void Apply(IPAddress group, RegisteredAmount change)
    {
        var updated = Of(group) + change;
        if (updated.Files <= 0 && updated.NameBytes <= 0 && updated.Memory <= 0)
        {
            _byAddress.Remove(group);
        }
        else
        {
            _byAddress[group] = updated;
        }

        _total += change;
    }

    private static RequestRefusedException Refuse(string option, string text) =>
        new(ErrorCode.Busy, option, $"refused: {text} ({option})");

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024)).ToString("0.#", CultureInfo.InvariantCulture) + " MiB";
}

/// <summary>An amount of registered data: files, bytes of their names, and index memory (an estimate).</summary>
internal readonly record struct RegisteredAmount(long Files, long NameBytes, long Memory)
{
    public static RegisteredAmount operator +(RegisteredAmount a, RegisteredAmount b) => new(a.Files + b.Files, a.NameBytes + b.NameBytes, a.Memory + b.Memory);

    public static RegisteredAmount operator -(RegisteredAmount a, RegisteredAmount b) => new(a.Files - b.Files, a.NameBytes - b.NameBytes, a.Memory - b.Memory);

    public static RegisteredAmount operator -(RegisteredAmount a) => new(-a.Files, -a.NameBytes, -a.Memory);
}
