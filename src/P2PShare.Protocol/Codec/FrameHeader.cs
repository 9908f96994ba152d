using System.Buffers.Binary;

namespace P2PShare.Protocol;

/// <summary>
/// The 5-byte frame header: <c>u8 type, u32 payload length</c> (PROTOCOL.md, "Framing").
/// Parsing checks the length against the limit, so an impossible length is refused before
/// anything is allocated or read.
/// </summary>
public readonly record struct FrameHeader(byte Type, uint PayloadLength)
{
    /// <summary>Parses a header from exactly <see cref="Limits.FrameHeaderLength"/> bytes.</summary>
    public static FrameHeader Parse(ReadOnlySpan<byte> header, int maxPayload = Limits.MaxControlPayload)
    {
        if (header.Length < Limits.FrameHeaderLength)
        {
            throw new ProtocolException(ErrorCode.BadRequest, $"truncated frame header: {header.Length} of {Limits.FrameHeaderLength} bytes");
        }

        var type = header[0];
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (length > (uint)maxPayload)
        {
            throw new ProtocolException(ErrorCode.TooLarge, $"frame payload length {length} exceeds the limit of {maxPayload} bytes");
        }

        if (type is 0 or > Limits.MaxMessageType)
        {
            throw new ProtocolException(ErrorCode.Unsupported, $"unknown message type {type}");
        }

        return new FrameHeader(type, length);
    }

    /// <summary>
    /// Parses a header and checks it against what one receiving role accepts: over 16 MiB is
    /// ERROR 3, an unknown type ERROR 5 (both as <see cref="Parse(ReadOnlySpan{byte}, int)"/>), then
    /// a type the role does not receive ERROR 1 and a length over the type's limit ERROR 3.
    /// </summary>
    public static FrameHeader Parse(ReadOnlySpan<byte> header, FrameLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var parsed = Parse(header);
        limits.Check(parsed.Type, parsed.PayloadLength);
        return parsed;
    }

    public void Write(Span<byte> destination)
    {
        destination[0] = Type;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], PayloadLength);
    }
}
