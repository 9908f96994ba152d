using System.Buffers;
using P2PShare.Protocol;

namespace P2PShare.Directory;

/// <summary>
/// Writes a RESULTS frame (PROTOCOL.md, RESULTS: <c>u32 peer count</c>, then per peer
/// <c>u8 family, address, u16 port, u32 file count, file entries</c>) straight from the
/// registry's search, into one pooled buffer: no message object, no string per file. One per
/// connection, reused for every SEARCH it answers; <see cref="Start"/> rents the buffer and
/// <see cref="Release"/> returns it once the frame has been sent.
/// </summary>
internal sealed class ResultsFrameBuilder : ISearchResultSink
{
    private const int InitialSize = 16 * 1024;

    private byte[] _buffer = [];
    private int _length;
    private int _peerCount;

    /// <summary>The frame, complete once <see cref="Finish"/> was called.</summary>
    public ReadOnlyMemory<byte> Frame => _buffer.AsMemory(0, _length);

    /// <summary>Begins a new frame with no peers.</summary>
    public void Start()
    {
        if (_buffer.Length == 0)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(InitialSize);
        }

        _length = ResultsLayout.PeersStart;
        _peerCount = 0;
    }

    /// <summary>Fills in the frame header and the peer count.</summary>
    public ReadOnlyMemory<byte> Finish()
    {
        var payloadLength = _length - Limits.FrameHeaderLength;
        if (payloadLength > Limits.MaxControlPayload)
        {
            throw new InvalidOperationException($"RESULTS of {payloadLength} bytes exceeds the limit of {Limits.MaxControlPayload} bytes");
        }

        ResultsLayout.WriteFrameStart(_buffer, _length, (uint)_peerCount);
        return Frame;
    }

    /// <summary>Returns the buffer to the pool; <see cref="Start"/> rents one again.</summary>
    public void Release()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        _length = 0;
    }

    public void BeginPeer(PeerKey peer, int fileCount)
    {
        Span<byte> address = stackalloc byte[16];
        peer.Address.TryWriteBytes(address, out var addressLength);
        BeginPeer(peer, address[..addressLength], fileCount);
    }

    public void BeginPeer(PeerKey peer, ReadOnlySpan<byte> address, int fileCount)
    {
        _length += ResultsLayout.WritePeer(Reserve(ResultsLayout.MaxPeerRecordLength), address, peer.Port, (uint)fileCount);
        _peerCount++;
    }

    public void AddFile(ReadOnlySpan<byte> utf8Name, ulong size, in ContentId id) =>
        _length += ResultsLayout.WriteEntry(Reserve(ResultsLayout.EntryLength(utf8Name.Length)), utf8Name, size, id);

    /// <summary>Room for <paramref name="count"/> more bytes, growing the buffer when needed.</summary>
    private Span<byte> Reserve(int count)
    {
        if (_buffer.Length - _length < count)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + count));
            _buffer.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        return _buffer.AsSpan(_length);
    }
}
