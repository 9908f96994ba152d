namespace P2PShare.Peer;

/// <summary>
/// What a download demands of its sources: a minimum rate at which each must deliver every chunk
/// and the hash list (<c>--min-source-rate</c>), and how many sources one address may supply
/// (<c>--sources-per-address</c>). A source that misses a deadline is dropped and its chunks go to
/// the others (PROTOCOL.md section 8.4).
/// </summary>
public sealed record SourceLimits
{
    /// <summary>
    /// Bytes per second a source must deliver at least: a requested chunk, or the hash list, must
    /// arrive in full within the stall timeout plus the time its bytes take at this rate, counted
    /// from when the downloader starts waiting for it. The default, 32 KiB/s, gives a 1 MiB chunk
    /// 42 s: a peer on a slow uplink shared by several downloaders still makes it, and a source
    /// that drips a byte now and then holds its chunks for well under a minute instead of hours.
    /// </summary>
    public long MinRate
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            field = value;
        }
    } = 32 * 1024;

    /// <summary>
    /// Most sources one address (an IPv4 address, or an IPv6 /64: <see cref="P2PShare.Protocol.AddressGroup"/>)
    /// supplies to one download, those dropped included. An address that registers a name under
    /// hundreds of ports then costs a download at most this many attempts. The default, 8, is as
    /// many sources as a download uses at once: the downloaders of a crowd behind one address (a
    /// lab behind one router, peers on one machine) each serve the others, and with fewer of them
    /// per download the file spreads through the crowd more slowly.
    /// </summary>
    public int MaxPerAddress
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            field = value;
        }
    } = 8;

    /// <summary>How long <paramref name="bytes"/> may take to arrive: <paramref name="grace"/> plus their time at <see cref="MinRate"/>.</summary>
    public TimeSpan Deadline(long bytes, TimeSpan grace) => grace + TimeSpan.FromSeconds((double)bytes / MinRate);
}
