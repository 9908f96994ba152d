using System.Net;

namespace P2PShare.Protocol;

/// <summary>
/// RESULTS (type 3) read in place: <c>u32 peer count</c>, then per peer <c>u8 family, 4 or 16
/// address bytes, u16 port, u32 file count, file entries</c>. Checked like
/// <see cref="MessageCodec.Decode"/> checks it; allocates nothing when valid; lives as long as the payload.
/// </summary>
public readonly ref struct ResultsView
{
    // Smallest peer record: family + IPv4 + port + file count.
    private const int MinPeerLength = 1 + 4 + 2 + 4;

    private readonly ReadOnlySpan<byte> _peers;

    private ResultsView(ReadOnlySpan<byte> peers, int peerCount, int fileCount)
    {
        _peers = peers;
        PeerCount = peerCount;
        FileCount = fileCount;
    }

    public int PeerCount { get; }

    /// <summary>Number of file entries over all peers.</summary>
    public int FileCount { get; }

    public PeerFilesEnumerator Peers => new(_peers, PeerCount);

    public static ResultsView Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "RESULTS");
        var count = reader.ReadCount("peer", MinPeerLength);
        var start = reader.Position;
        var files = 0;
        for (var i = 0; i < count; i++)
        {
            reader.ReadAddress();
            reader.ReadUInt16();
            var fileCount = reader.ReadCount("file", Limits.MinFileEntryLength);
            FileEntryEnumerator.Skip(ref reader, fileCount);
            files += fileCount;
        }

        reader.EnsureEnd();
        return new ResultsView(reader.Since(start), count, files);
    }

    public ResultsMessage ToMessage()
    {
        var peers = new List<PeerFiles>(PeerCount);
        foreach (var peer in Peers)
        {
            peers.Add(new PeerFiles(peer.GetAddress(), peer.Port, peer.Files.ToList()));
        }

        return new ResultsMessage(peers);
    }
}

/// <summary>One peer of a <see cref="ResultsView"/>: its address and port, and its matching files.</summary>
public readonly ref struct PeerFilesView
{
    private readonly ReadOnlySpan<byte> _files;

    internal PeerFilesView(ReadOnlySpan<byte> addressBytes, ushort port, ReadOnlySpan<byte> files, int fileCount)
    {
        AddressBytes = addressBytes;
        Port = port;
        _files = files;
        FileCount = fileCount;
    }

    /// <summary>4 bytes (IPv4) or 16 bytes (IPv6), network order.</summary>
    public ReadOnlySpan<byte> AddressBytes { get; }

    public ushort Port { get; }

    public int FileCount { get; }

    public FileEntryEnumerator Files => new(_files, FileCount);

    /// <summary>The address as an <see cref="IPAddress"/> (allocates).</summary>
    public IPAddress GetAddress() => new(AddressBytes);
}

/// <summary>Allocation-free enumerator over the peers of a <see cref="ResultsView"/>.</summary>
public ref struct PeerFilesEnumerator
{
    private TrustedReader _reader;
    private int _left;
    private PeerFilesView _current;

    internal PeerFilesEnumerator(ReadOnlySpan<byte> peers, int count)
    {
        _reader = new TrustedReader(peers);
        _left = count;
        Count = count;
        _current = default;
    }

    public int Count { get; }

    public readonly PeerFilesView Current => _current;

    public readonly PeerFilesEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_left == 0)
        {
            return false;
        }

        _left--;
        var address = _reader.ReadBytes(_reader.ReadByte() == 4 ? 4 : 16);
        var port = _reader.ReadUInt16();
        var fileCount = (int)_reader.ReadUInt32();
        var files = _reader.Rest;
        for (var i = 0; i < fileCount; i++)
        {
            _reader.ReadString();
            _reader.ReadBytes(8 + Limits.IdLength);
        }

        _current = new PeerFilesView(address, port, files[..(files.Length - _reader.Rest.Length)], fileCount);
        return true;
    }
}
