using System.Buffers.Binary;

namespace P2PShare.Protocol;

/// <summary>
/// The byte layout of a RESULTS frame's pieces (PROTOCOL.md, RESULTS): the frame start (header
/// and <c>u32 peer count</c>), a peer record (<c>u8 family, 4 or 16 address bytes, u16 port,
/// u32 file count</c>) and a file entry (<c>u16 name length, UTF-8 name, u64 size, 32-byte
/// id</c>). Every RESULTS encoder writes through these (<see cref="ResultsFrameWriter"/>, and the
/// directory's search sink that writes under the registry's lock), so the layout lives in one
/// place. Each writer assumes the room was checked; none allocates.
/// </summary>
public static class ResultsLayout
{
    /// <summary>Where the first peer record starts: after the frame header and the peer count.</summary>
    public const int PeersStart = Limits.FrameHeaderLength + 4;

    /// <summary>The longest peer record (an IPv6 address).</summary>
    public const int MaxPeerRecordLength = 1 + 16 + 2 + 4;

    /// <summary>The longest file entry (a name of <see cref="Limits.MaxNameBytes"/>).</summary>
    public const int MaxEntryLength = 2 + Limits.MaxNameBytes + 8 + Limits.IdLength;

    /// <summary>Where the file count sits inside a peer record with an address of <paramref name="addressLength"/> bytes.</summary>
    public static int FileCountOffset(int addressLength) => 1 + addressLength + 2;

    public static int PeerRecordLength(int addressLength) => 1 + addressLength + 2 + 4;

    public static int EntryLength(int nameLength) => 2 + nameLength + 8 + Limits.IdLength;

    /// <summary>Writes a peer record (the address is 4 bytes for IPv4, 16 for IPv6); returns its length.</summary>
    public static int WritePeer(Span<byte> destination, scoped ReadOnlySpan<byte> address, ushort port, uint fileCount)
    {
        destination[0] = address.Length == 4 ? (byte)4 : (byte)6;
        address.CopyTo(destination[1..]);
        var position = 1 + address.Length;
        BinaryPrimitives.WriteUInt16BigEndian(destination[position..], port);
        BinaryPrimitives.WriteUInt32BigEndian(destination[(position + 2)..], fileCount);
        return position + 6;
    }

    /// <summary>Writes a file entry whose name is given as UTF-8 (checked by the caller); returns its length.</summary>
    public static int WriteEntry(Span<byte> destination, scoped ReadOnlySpan<byte> nameUtf8, ulong size, in ContentId id)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)nameUtf8.Length);
        nameUtf8.CopyTo(destination[2..]);
        var position = 2 + nameUtf8.Length;
        BinaryPrimitives.WriteUInt64BigEndian(destination[position..], size);
        id.CopyTo(destination[(position + 8)..]);
        return position + 8 + Limits.IdLength;
    }

    /// <summary>Fills in the frame header and the peer count of a RESULTS frame of <paramref name="frameLength"/> bytes.</summary>
    public static void WriteFrameStart(Span<byte> frame, int frameLength, uint peerCount)
    {
        new FrameHeader((byte)MessageType.Results, (uint)(frameLength - Limits.FrameHeaderLength)).Write(frame);
        BinaryPrimitives.WriteUInt32BigEndian(frame[Limits.FrameHeaderLength..], peerCount);
    }
}
