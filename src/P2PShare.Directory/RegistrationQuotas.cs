namespace P2PShare.Directory;

/// <summary>
/// How much one peer, one address and everyone together may make the directory hold. A
/// REGISTER or ADD that would go past any of them is refused whole with ERROR 4 and a text that
/// names the limit (<see cref="RequestRefusedException"/>); the connection stays open, and
/// searches go on. Per address means per <see cref="Protocol.AddressGroup"/> (an IPv4 address, an
/// IPv6 /64): one address must not use up what the others need.
/// </summary>
/// <remarks>
/// Files count every entry of the request (a name repeated within it counts each time, an ADD
/// entry that replaces a registered file of the same name adds none); name
/// bytes are their UTF-8 lengths; memory is what the index spends on an entry (its record, its
/// name, its postings, and the posting lists of trigrams no name had before), estimated before
/// anything is added and charged as measured once it is. The defaults leave room for a network
/// of a few million files of ordinary names. A site with many peers behind one address (a NAT,
/// a shared host) raises the per-address limits: by default, one address holds 2,500 peers of
/// 100 files.
/// </remarks>
public sealed class RegistrationQuotas
{
    /// <summary>Most files one peer (address and port) may have registered (<c>--max-files-per-peer</c>).</summary>
    public int MaxFilesPerPeer { get; init; } = 100_000;

    /// <summary>Most bytes of names one peer may have registered (<c>--max-name-bytes-per-peer</c>).</summary>
    public long MaxNameBytesPerPeer { get; init; } = 16L << 20;

    /// <summary>Most files all peers of one address may have registered (<c>--max-files-per-address</c>).</summary>
    public int MaxFilesPerAddress { get; init; } = 250_000;

    /// <summary>Most bytes of names all peers of one address may have registered (<c>--max-name-bytes-per-address</c>).</summary>
    public long MaxNameBytesPerAddress { get; init; } = 32L << 20;

    /// <summary>Most index memory the files of one address may take (<c>--max-memory-per-address</c>).</summary>
    public long MaxMemoryPerAddress { get; init; } = 128L << 20;

    /// <summary>Most files registered in all (<c>--max-files</c>).</summary>
    public int MaxFiles { get; init; } = 5_000_000;

    /// <summary>Most bytes of names registered in all (<c>--max-name-bytes</c>).</summary>
    public long MaxNameBytes { get; init; } = 512L << 20;

    /// <summary>
    /// The index's memory budget (<c>--max-memory</c>): past it, REGISTER and ADD are refused
    /// while searches keep working. Counts what the index holds, entries removed but not yet
    /// compacted away and a compaction's copy included.
    /// </summary>
    public long MaxMemory { get; init; } = 1L << 30;

    /// <summary>
    /// Most contents one peer may announce with HOLD as held in part, i.e. downloads in progress
    /// (<c>--max-partial-per-peer</c>). A HOLD past it is refused whole with ERROR 4.
    /// </summary>
    public int MaxPartialPerPeer { get; init; } = 256;

    /// <summary>Throws when a value is out of range (zero or negative).</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxFilesPerPeer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxNameBytesPerPeer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxFilesPerAddress);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxNameBytesPerAddress);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxMemoryPerAddress);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxFiles);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxNameBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxMemory);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPartialPerPeer);
    }
}
