using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace P2PShare.Protocol;

/// <summary>
/// Writes a RESULTS frame piece by piece, straight from search results, into a caller's buffer:
/// <see cref="TryAddPeer(IPAddress, ushort)"/>, then that peer's <see cref="TryAddFile(string, ulong, ContentId)"/>s,
/// then the next peer, and <see cref="Finish"/> patches the counts and the frame length. Nothing
/// is allocated, and the bytes are those <see cref="MessageCodec.WriteFrame"/> gives the equivalent
/// <see cref="ResultsMessage"/>. A peer that got no file is left out (PROTOCOL.md 8.2 lists no
/// peer without a match). The writer does not cap the number of files at
/// <see cref="Limits.MaxSearchResults"/>: that is the caller's rule to keep.
/// </summary>
/// <example>
/// <code>
/// var buffer = ArrayPool&lt;byte&gt;.Shared.Rent(ResultsFrameWriter.MaxFrameLength(Limits.MaxSearchResults));
/// var results = new ResultsFrameWriter(buffer);
/// foreach (var peer in matches) { results.TryAddPeer(peer.Address, peer.Port); foreach (var f in peer.Files) results.TryAddFile(f.Name, f.Size, f.Id); }
/// var length = results.Finish(); // send buffer[..length]
/// </code>
/// </example>
public ref struct ResultsFrameWriter
{
    private readonly Span<byte> _destination;
    private readonly IBufferWriter<byte>? _output;
    private int _position;
    private int _peerStart;
    private int _peerFileCountAt;
    private int _peerFiles;
    private bool _finished;

    /// <summary>Writes into <paramref name="destination"/>; <see cref="Finish"/> returns the frame length.</summary>
    public ResultsFrameWriter(Span<byte> destination)
    {
        var capacity = Math.Min(destination.Length, Limits.FrameHeaderLength + Limits.MaxControlPayload);
        if (capacity < ResultsLayout.PeersStart)
        {
            throw new ArgumentException($"a RESULTS frame needs at least {ResultsLayout.PeersStart} bytes", nameof(destination));
        }

        _destination = destination[..capacity];
        _output = null;
        _position = ResultsLayout.PeersStart;
        _peerStart = -1;
        _peerFileCountAt = 0;
        _peerFiles = 0;
        _finished = false;
        PeerCount = 0;
        FileCount = 0;
    }

    /// <summary>
    /// Writes into one span of <paramref name="output"/> of <paramref name="sizeHint"/> bytes (at
    /// least; see <see cref="MaxFrameLength"/>); <see cref="Finish"/> advances it by the frame length.
    /// </summary>
    public ResultsFrameWriter(IBufferWriter<byte> output, int sizeHint)
        : this((output ?? throw new ArgumentNullException(nameof(output))).GetSpan(sizeHint))
    {
        _output = output;
    }

    /// <summary>Peers written so far (a peer still without files not counted).</summary>
    public int PeerCount { get; private set; }

    /// <summary>File entries written so far, over all peers.</summary>
    public int FileCount { get; private set; }

    /// <summary>The most bytes a RESULTS frame of <paramref name="maxFiles"/> entries can take (each its own IPv6 peer, each name 1024 bytes).</summary>
    public static int MaxFrameLength(int maxFiles)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxFiles);
        var length = ResultsLayout.PeersStart + ((long)maxFiles * (ResultsLayout.MaxPeerRecordLength + ResultsLayout.MaxEntryLength));
        return (int)Math.Min(length, Limits.FrameHeaderLength + Limits.MaxControlPayload);
    }

    /// <summary>Starts the next peer; false (and nothing written) when the buffer has no room for it.</summary>
    public bool TryAddPeer(IPAddress address, ushort port)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            throw new ArgumentException($"cannot write address {address}", nameof(address));
        }

        return TryAddPeer(bytes[..written], port);
    }

    /// <summary>
    /// Starts the next peer from its address bytes (4 for IPv4, 16 for IPv6, network order; an
    /// IPv4-mapped IPv6 address is sent as IPv4). False when the buffer has no room for it.
    /// </summary>
    public bool TryAddPeer(scoped ReadOnlySpan<byte> address, ushort port)
    {
        EnsureNotFinished();
        if (address.Length is not (4 or 16))
        {
            throw new ArgumentException($"an address is 4 or 16 bytes, not {address.Length}", nameof(address));
        }

        if (address.Length == 16 && IsIPv4Mapped(address))
        {
            address = address[12..];
        }

        ClosePeer();
        if (_destination.Length - _position < ResultsLayout.PeerRecordLength(address.Length))
        {
            return false;
        }

        _peerStart = _position;
        _peerFileCountAt = _position + ResultsLayout.FileCountOffset(address.Length);
        _position += ResultsLayout.WritePeer(_destination[_position..], address, port, fileCount: 0);
        _peerFiles = 0;
        return true;
    }

    /// <summary>Adds a file to the current peer; false (and nothing written) when the buffer has no room for it.</summary>
    public bool TryAddFile(string name, ulong size, ContentId id)
    {
        ArgumentNullException.ThrowIfNull(name);
        EnsurePeer();
        var nameLength = WireWriter.StringLength(name) - 2;
        if (_destination.Length - _position < ResultsLayout.EntryLength(nameLength))
        {
            return false;
        }

        // The name is encoded straight into its place in the entry, where WriteEntry finds it.
        var nameUtf8 = _destination.Slice(_position + 2, nameLength);
        Encoding.UTF8.GetBytes(name, nameUtf8);
        AddEntry(ResultsLayout.WriteEntry(_destination[_position..], nameUtf8, size, id));
        return true;
    }

    /// <summary>Adds a file, its name given as UTF-8, to the current peer; false when the buffer has no room for it.</summary>
    public bool TryAddFile(scoped ReadOnlySpan<byte> nameUtf8, ulong size, ContentId id)
    {
        EnsurePeer();
        WireWriter.Utf8StringLength(nameUtf8);
        if (_destination.Length - _position < ResultsLayout.EntryLength(nameUtf8.Length))
        {
            return false;
        }

        AddEntry(ResultsLayout.WriteEntry(_destination[_position..], nameUtf8, size, id));
        return true;
    }

    /// <summary>Completes the frame (counts and length); returns the frame length. Advances the buffer writer, if any.</summary>
    public int Finish()
    {
        EnsureNotFinished();
        ClosePeer();
        _finished = true;
        ResultsLayout.WriteFrameStart(_destination, _position, (uint)PeerCount);
        _output?.Advance(_position);
        return _position;
    }

    private static bool IsIPv4Mapped(ReadOnlySpan<byte> address) =>
        address[..10].IndexOfAnyExcept((byte)0) < 0 && address[10] == 0xff && address[11] == 0xff;

    private void AddEntry(int length)
    {
        _position += length;
        _peerFiles++;
        FileCount++;
    }

    /// <summary>Patches the current peer's file count, or takes the peer back out when it got none.</summary>
    private void ClosePeer()
    {
        if (_peerStart < 0)
        {
            return;
        }

        if (_peerFiles == 0)
        {
            _position = _peerStart;
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(_destination[_peerFileCountAt..], (uint)_peerFiles);
            PeerCount++;
        }

        _peerStart = -1;
    }

    private readonly void EnsurePeer()
    {
        EnsureNotFinished();
        if (_peerStart < 0)
        {
            throw new InvalidOperationException("TryAddFile needs a peer: call TryAddPeer first (and stop when it returns false)");
        }
    }

    private readonly void EnsureNotFinished()
    {
        if (_finished)
        {
            throw new InvalidOperationException("the RESULTS frame is finished");
        }
    }
}
