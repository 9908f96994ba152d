using System.Buffers;
using System.Buffers.Binary;

namespace P2PShare.Protocol;

/// <summary>
/// Writes the frames of the hot paths (GET, DATA header, SEARCH, OK, ERROR, HASHES, HASH_LIST,
/// LOCATE, CHUNKS, CHUNK_MAP, PING, PONG)
/// straight from their fields, with no message object and no allocation: into a span (each
/// <c>Write…</c> returns the frame length; <c>Measure…</c> says how long it will be) or into an
/// <see cref="IBufferWriter{T}"/>. The bytes are exactly those of <see cref="MessageCodec.WriteFrame"/>
/// for the equivalent message. RESULTS and SOURCES have their own incremental writers
/// (<see cref="ResultsFrameWriter"/>, <see cref="SourcesFrameWriter"/>).
/// </summary>
public static class FrameWriter
{
    /// <summary>PING and PONG: the header alone.</summary>
    public const int EmptyFrameLength = Limits.FrameHeaderLength;

    public const int OkFrameLength = Limits.FrameHeaderLength + 4;

    public const int HashesFrameLength = Limits.FrameHeaderLength + Limits.IdLength;

    public const int DataHeaderFrameLength = DataHeader.FrameLength;

    public const int LocateFrameLength = Limits.FrameHeaderLength + Limits.IdLength;

    public const int ChunksFrameLength = Limits.FrameHeaderLength + Limits.IdLength;

    private const int RangeLength = 8 + 8 + Limits.IdLength;

    // ---- GET ---------------------------------------------------------------------------------

    /// <summary>Length of the GET frame; the range part is sent unless offset, length and id are all at their defaults.</summary>
    public static int MeasureGet(string fileName, ulong offset = 0, ulong length = 0, ContentId id = default) =>
        Limits.FrameHeaderLength + WireWriter.StringLength(fileName) + (HasRange(offset, length, id) ? RangeLength : 0);

    public static int MeasureGet(ReadOnlySpan<byte> fileNameUtf8, ulong offset = 0, ulong length = 0, ContentId id = default) =>
        Limits.FrameHeaderLength + WireWriter.Utf8StringLength(fileNameUtf8) + (HasRange(offset, length, id) ? RangeLength : 0);

    public static int WriteGet(Span<byte> destination, string fileName, ulong offset = 0, ulong length = 0, ContentId id = default)
    {
        var writer = Begin(destination, MessageType.SearchOrGet, MeasureGet(fileName, offset, length, id));
        writer.WriteString(fileName);
        return WriteRange(ref writer, offset, length, id);
    }

    public static int WriteGet(Span<byte> destination, ReadOnlySpan<byte> fileNameUtf8, ulong offset = 0, ulong length = 0, ContentId id = default)
    {
        var writer = Begin(destination, MessageType.SearchOrGet, MeasureGet(fileNameUtf8, offset, length, id));
        writer.WriteUtf8String(fileNameUtf8);
        return WriteRange(ref writer, offset, length, id);
    }

    public static void WriteGet(IBufferWriter<byte> output, string fileName, ulong offset = 0, ulong length = 0, ContentId id = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Advance(WriteGet(output.GetSpan(MeasureGet(fileName, offset, length, id)), fileName, offset, length, id));
    }

    public static void WriteGet(IBufferWriter<byte> output, ReadOnlySpan<byte> fileNameUtf8, ulong offset = 0, ulong length = 0, ContentId id = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Advance(WriteGet(output.GetSpan(MeasureGet(fileNameUtf8, offset, length, id)), fileNameUtf8, offset, length, id));
    }

    // ---- SEARCH ------------------------------------------------------------------------------

    public static int MeasureSearch(string query) => Limits.FrameHeaderLength + WireWriter.StringLength(query);

    public static int MeasureSearch(ReadOnlySpan<byte> queryUtf8) => Limits.FrameHeaderLength + WireWriter.Utf8StringLength(queryUtf8);

    public static int WriteSearch(Span<byte> destination, string query)
    {
        var writer = Begin(destination, MessageType.SearchOrGet, MeasureSearch(query));
        writer.WriteString(query);
        return Limits.FrameHeaderLength + writer.Written;
    }

    public static int WriteSearch(Span<byte> destination, ReadOnlySpan<byte> queryUtf8)
    {
        var writer = Begin(destination, MessageType.SearchOrGet, MeasureSearch(queryUtf8));
        writer.WriteUtf8String(queryUtf8);
        return Limits.FrameHeaderLength + writer.Written;
    }

    public static void WriteSearch(IBufferWriter<byte> output, string query)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Advance(WriteSearch(output.GetSpan(MeasureSearch(query)), query));
    }

    // ---- ERROR -------------------------------------------------------------------------------

    public static int MeasureError(string text) => Limits.FrameHeaderLength + 2 + WireWriter.StringLength(text);

    public static int MeasureError(ReadOnlySpan<byte> textUtf8) => Limits.FrameHeaderLength + 2 + WireWriter.Utf8StringLength(textUtf8);

    public static int WriteError(Span<byte> destination, ErrorCode code, string text)
    {
        var writer = Begin(destination, MessageType.Error, MeasureError(text));
        writer.WriteUInt16((ushort)code);
        writer.WriteString(text);
        return Limits.FrameHeaderLength + writer.Written;
    }

    public static int WriteError(Span<byte> destination, ErrorCode code, ReadOnlySpan<byte> textUtf8)
    {
        var writer = Begin(destination, MessageType.Error, MeasureError(textUtf8));
        writer.WriteUInt16((ushort)code);
        writer.WriteUtf8String(textUtf8);
        return Limits.FrameHeaderLength + writer.Written;
    }

    public static void WriteError(IBufferWriter<byte> output, ErrorCode code, string text)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Advance(WriteError(output.GetSpan(MeasureError(text)), code, text));
    }

    // ---- Fixed-size frames -------------------------------------------------------------------

    public static int WriteDataHeader(Span<byte> destination, ulong offset, ulong length) =>
        new DataHeader(offset, length).WriteFrame(destination);

    public static void WriteDataHeader(IBufferWriter<byte> output, ulong offset, ulong length)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Advance(WriteDataHeader(output.GetSpan(DataHeaderFrameLength), offset, length));
    }

    public static int WriteOk(Span<byte> destination, uint fileCount)
    {
        var writer = Begin(destination, MessageType.Ok, OkFrameLength);
        writer.WriteUInt32(fileCount);
        return OkFrameLength;
    }

    public static void WriteOk(IBufferWriter<byte> output, uint fileCount)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Advance(WriteOk(output.GetSpan(OkFrameLength), fileCount));
    }

    public static int WriteHashes(Span<byte> destination, ContentId id)
    {
        var writer = Begin(destination, MessageType.Hashes, HashesFrameLength);
        writer.WriteId(id);
        return HashesFrameLength;
    }

    public static void WriteHashes(IBufferWriter<byte> output, ContentId id)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Advance(WriteHashes(output.GetSpan(HashesFrameLength), id));
    }

    public static int WriteLocate(Span<byte> destination, ContentId id)
    {
        var writer = Begin(destination, MessageType.Locate, LocateFrameLength);
        writer.WriteId(id);
        return LocateFrameLength;
    }

    public static int WriteChunks(Span<byte> destination, ContentId id)
    {
        var writer = Begin(destination, MessageType.Chunks, ChunksFrameLength);
        writer.WriteId(id);
        return ChunksFrameLength;
    }

    // ---- CHUNK_MAP ---------------------------------------------------------------------------

    /// <summary>Length of the CHUNK_MAP frame of <paramref name="chunkCount"/> chunks.</summary>
    public static int MeasureChunkMap(int chunkCount) => Limits.FrameHeaderLength + 4 + (2 * ChunkBitmap.ByteLength(chunkCount));

    /// <summary>
    /// CHUNK_MAP of <paramref name="chunkCount"/> chunks from its bitmaps of chunks held and being
    /// fetched (see <see cref="ChunkBitmap"/>; checked, spare bits included).
    /// </summary>
    public static int WriteChunkMap(Span<byte> destination, int chunkCount, ReadOnlySpan<byte> bitmap, ReadOnlySpan<byte> fetching)
    {
        var problem = ChunkBitmap.Check(chunkCount, bitmap);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(bitmap));
        }

        problem = ChunkBitmap.Check(chunkCount, fetching);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(fetching));
        }

        var writer = Begin(destination, MessageType.ChunkMap, MeasureChunkMap(chunkCount));
        writer.WriteUInt32((uint)chunkCount);
        writer.WriteBytes(bitmap);
        writer.WriteBytes(fetching);
        return Limits.FrameHeaderLength + writer.Written;
    }

    // ---- HASH_LIST ---------------------------------------------------------------------------

    /// <summary>Length of the HASH_LIST frame carrying <paramref name="digests"/> (concatenated 32-byte digests).</summary>
    public static int MeasureHashList(ReadOnlySpan<byte> digests)
    {
        if (digests.Length % Limits.IdLength != 0)
        {
            throw new ArgumentException($"digests must be a multiple of {Limits.IdLength} bytes", nameof(digests));
        }

        long length = 4 + 4 + (long)digests.Length;
        if (length > Limits.MaxControlPayload)
        {
            throw new ProtocolException(ErrorCode.TooLarge, $"HASH_LIST of {length} bytes exceeds the limit of {Limits.MaxControlPayload} bytes");
        }

        return Limits.FrameHeaderLength + (int)length;
    }

    /// <summary>HASH_LIST with the 1 MiB chunk size of version 1 and the concatenated chunk digests.</summary>
    public static int WriteHashList(Span<byte> destination, ReadOnlySpan<byte> digests)
    {
        var writer = Begin(destination, MessageType.HashList, MeasureHashList(digests));
        writer.WriteUInt32(Limits.ChunkSize);
        writer.WriteUInt32((uint)(digests.Length / Limits.IdLength));
        writer.WriteBytes(digests);
        return Limits.FrameHeaderLength + writer.Written;
    }

    public static int WritePing(Span<byte> destination)
    {
        Begin(destination, MessageType.Ping, EmptyFrameLength);
        return EmptyFrameLength;
    }

    public static int WritePong(Span<byte> destination)
    {
        Begin(destination, MessageType.Pong, EmptyFrameLength);
        return EmptyFrameLength;
    }

    /// <summary>Checks the room, writes the frame header and returns a writer for the payload.</summary>
    internal static WireWriter Begin(Span<byte> destination, MessageType type, int frameLength)
    {
        if (destination.Length < frameLength)
        {
            throw new ArgumentException($"the frame needs {frameLength} bytes, the destination has {destination.Length}", nameof(destination));
        }

        destination[0] = (byte)type;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)(frameLength - Limits.FrameHeaderLength));
        return new WireWriter(destination[Limits.FrameHeaderLength..frameLength]);
    }

    private static bool HasRange(ulong offset, ulong length, ContentId id) => offset != 0 || length != 0 || !id.IsZero;

    private static int WriteRange(ref WireWriter writer, ulong offset, ulong length, ContentId id)
    {
        if (HasRange(offset, length, id))
        {
            writer.WriteUInt64(offset);
            writer.WriteUInt64(length);
            writer.WriteId(id);
        }

        return Limits.FrameHeaderLength + writer.Written;
    }
}
