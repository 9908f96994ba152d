using System.Buffers.Binary;

namespace P2PShare.Protocol;

/// <summary>
/// The DATA header (type 4): <c>u64 offset, u64 length</c>; <c>length</c> raw file bytes follow
/// the frame. A plain value: parsing and writing it allocate nothing.
/// </summary>
public readonly record struct DataHeader(ulong Offset, ulong Length)
{
    /// <summary>Length of the whole DATA frame: 5-byte header and 16-byte payload.</summary>
    public const int FrameLength = Limits.FrameHeaderLength + Limits.DataHeaderPayloadLength;

    /// <summary>Checks a DATA payload like <see cref="MessageCodec.Decode"/> does.</summary>
    public static DataHeader Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "DATA");
        var offset = reader.ReadUInt64();
        var length = reader.ReadUInt64();
        reader.EnsureEnd();
        return new DataHeader(offset, length);
    }

    /// <summary>Writes the whole DATA frame (<see cref="FrameLength"/> bytes); returns its length.</summary>
    public int WriteFrame(Span<byte> destination)
    {
        if (destination.Length < FrameLength)
        {
            throw new ArgumentException($"a DATA frame needs {FrameLength} bytes, the destination has {destination.Length}", nameof(destination));
        }

        destination[0] = (byte)MessageType.Data;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], Limits.DataHeaderPayloadLength);
        BinaryPrimitives.WriteUInt64BigEndian(destination[5..], Offset);
        BinaryPrimitives.WriteUInt64BigEndian(destination[13..], Length);
        return FrameLength;
    }

    public DataMessage ToMessage() => new(Offset, Length);
}
