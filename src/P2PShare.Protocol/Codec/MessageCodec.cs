using System.Net;

namespace P2PShare.Protocol;

/// <summary>
/// Turns payloads into messages and back. Decoding is a pure function of (type, payload, channel)
/// that returns a message or throws a <see cref="ProtocolException"/> with the ERROR code and a
/// precise reason; it never reads past the payload it was given.
/// </summary>
public static class MessageCodec
{
    public static Message Decode(byte type, ReadOnlySpan<byte> payload, Channel channel)
    {
        if (payload.Length > Limits.MaxControlPayload)
        {
            throw new ProtocolException(ErrorCode.TooLarge, $"payload of {payload.Length} bytes exceeds the limit of {Limits.MaxControlPayload} bytes");
        }

        return (MessageType)type switch
        {
            MessageType.Register => DecodeRegister(payload),
            MessageType.SearchOrGet when channel == Channel.Directory => DecodeSearch(payload),
            MessageType.SearchOrGet => DecodeGet(payload),
            MessageType.Results => DecodeResults(payload),
            MessageType.Data => DecodeData(payload),
            MessageType.Error => DecodeError(payload),
            MessageType.Ok => DecodeOk(payload),
            MessageType.Ping => DecodeEmpty(payload, "PING", PingMessage.Instance),
            MessageType.Pong => DecodeEmpty(payload, "PONG", PongMessage.Instance),
            MessageType.Add => DecodeAdd(payload),
            MessageType.Remove => DecodeRemove(payload),
            MessageType.Hashes => DecodeHashes(payload),
            MessageType.HashList => DecodeHashList(payload),
            _ => throw new ProtocolException(ErrorCode.Unsupported, $"unknown message type {type}"),
        };
    }

    /// <summary>Number of payload bytes <paramref name="message"/> encodes to (the frame adds 5).</summary>
    public static int GetPayloadLength(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        long length = message switch
        {
            RegisterMessage m => 2 + 4 + EntriesLength(m.Files),
            SearchMessage m => WireWriter.StringLength(m.Query),
            ResultsMessage m => 4 + m.Peers.Sum(p => (long)WireWriter.AddressLength(p.Address) + 2 + 4 + EntriesLength(p.Files)),
            GetMessage m => WireWriter.StringLength(m.FileName) + (m.HasRange ? 8 + 8 + Limits.IdLength : 0),
            DataMessage => Limits.DataHeaderPayloadLength,
            ErrorMessage m => 2 + WireWriter.StringLength(m.Text),
            OkMessage => 4,
            PingMessage or PongMessage => 0,
            AddMessage m => 4 + EntriesLength(m.Files),
            RemoveMessage m => 4 + m.Names.Sum(n => (long)WireWriter.StringLength(n)),
            HashesMessage => Limits.IdLength,
            HashListMessage m => 4 + 4 + (long)m.Count * Limits.IdLength,
            _ => throw new ArgumentException($"unknown message {message.GetType().Name}", nameof(message)),
        };
        if (length > Limits.MaxControlPayload)
        {
            throw new ProtocolException(ErrorCode.TooLarge, $"{message.Name} of {length} bytes exceeds the limit of {Limits.MaxControlPayload} bytes");
        }

        return (int)length;
    }

    /// <summary>Writes the payload of <paramref name="message"/>; returns the number of bytes written.</summary>
    public static int WritePayload(Message message, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(message);
        var writer = new WireWriter(destination);
        switch (message)
        {
            case RegisterMessage m:
                writer.WriteUInt16(m.ListenPort);
                WriteEntries(ref writer, m.Files);
                break;
            case SearchMessage m:
                writer.WriteString(m.Query);
                break;
            case ResultsMessage m:
                writer.WriteUInt32((uint)m.Peers.Count);
                foreach (var peer in m.Peers)
                {
                    writer.WriteAddress(peer.Address);
                    writer.WriteUInt16(peer.Port);
                    WriteEntries(ref writer, peer.Files);
                }

                break;
            case GetMessage m:
                writer.WriteString(m.FileName);
                if (m.HasRange)
                {
                    writer.WriteUInt64(m.Offset);
                    writer.WriteUInt64(m.Length);
                    writer.WriteId(m.Id);
                }

                break;
            case DataMessage m:
                writer.WriteUInt64(m.Offset);
                writer.WriteUInt64(m.Length);
                break;
            case ErrorMessage m:
                writer.WriteUInt16((ushort)m.Code);
                writer.WriteString(m.Text);
                break;
            case OkMessage m:
                writer.WriteUInt32(m.FileCount);
                break;
            case PingMessage or PongMessage:
                break;
            case AddMessage m:
                WriteEntries(ref writer, m.Files);
                break;
            case RemoveMessage m:
                writer.WriteUInt32((uint)m.Names.Count);
                foreach (var name in m.Names)
                {
                    writer.WriteString(name);
                }

                break;
            case HashesMessage m:
                writer.WriteId(m.Id);
                break;
            case HashListMessage m:
                writer.WriteUInt32(m.ChunkSize);
                writer.WriteUInt32((uint)m.Count);
                writer.WriteBytes(m.Digests);
                break;
            default:
                throw new ArgumentException($"unknown message {message.GetType().Name}", nameof(message));
        }

        return writer.Written;
    }

    /// <summary>Length of the whole frame: header plus payload.</summary>
    public static int GetFrameLength(Message message) => Limits.FrameHeaderLength + GetPayloadLength(message);

    /// <summary>Writes header and payload; returns the frame length.</summary>
    public static int WriteFrame(Message message, Span<byte> destination)
    {
        var payloadLength = GetPayloadLength(message);
        new FrameHeader((byte)message.Type, (uint)payloadLength).Write(destination);
        var written = WritePayload(message, destination[Limits.FrameHeaderLength..]);
        return Limits.FrameHeaderLength + written;
    }

    public static byte[] EncodeFrame(Message message)
    {
        var frame = new byte[GetFrameLength(message)];
        WriteFrame(message, frame);
        return frame;
    }

    private static long EntriesLength(IReadOnlyList<FileEntry> entries) =>
        entries.Sum(e => (long)WireWriter.FileEntryLength(e));

    private static void WriteEntries(ref WireWriter writer, IReadOnlyList<FileEntry> entries)
    {
        writer.WriteUInt32((uint)entries.Count);
        foreach (var entry in entries)
        {
            writer.WriteFileEntry(entry);
        }
    }

    private static List<FileEntry> ReadEntries(ref WireReader reader)
    {
        var count = reader.ReadCount("file", Limits.MinFileEntryLength);
        var entries = new List<FileEntry>(count);
        for (var i = 0; i < count; i++)
        {
            entries.Add(reader.ReadFileEntry());
        }

        return entries;
    }

    private static RegisterMessage DecodeRegister(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "REGISTER");
        var port = reader.ReadUInt16();
        if (port == 0)
        {
            throw reader.Fail("listen port 0 is not a port anyone can connect to");
        }

        var entries = ReadEntries(ref reader);
        reader.EnsureEnd();
        return new RegisterMessage(port, entries);
    }

    private static SearchMessage DecodeSearch(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "SEARCH");
        var query = reader.ReadString("query");
        reader.EnsureEnd();
        return new SearchMessage(query);
    }

    private static GetMessage DecodeGet(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "GET");
        var name = reader.ReadFileName();
        if (reader.Remaining == 0)
        {
            return new GetMessage(name);
        }

        var offset = reader.ReadUInt64();
        var length = reader.ReadUInt64();
        var id = reader.ReadId();
        reader.EnsureEnd();
        return new GetMessage(name, offset, length, id);
    }

    private static ResultsMessage DecodeResults(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "RESULTS");
        // Smallest peer record: family + IPv4 + port + file count.
        var count = reader.ReadCount("peer", 1 + 4 + 2 + 4);
        var peers = new List<PeerFiles>(count);
        for (var i = 0; i < count; i++)
        {
            var address = reader.ReadAddress();
            var port = reader.ReadUInt16();
            var files = ReadEntries(ref reader);
            peers.Add(new PeerFiles(address, port, files));
        }

        reader.EnsureEnd();
        return new ResultsMessage(peers);
    }

    private static DataMessage DecodeData(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "DATA");
        var offset = reader.ReadUInt64();
        var length = reader.ReadUInt64();
        reader.EnsureEnd();
        return new DataMessage(offset, length);
    }

    private static ErrorMessage DecodeError(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "ERROR");
        var code = reader.ReadUInt16();
        var text = reader.ReadString("message");
        reader.EnsureEnd();
        return new ErrorMessage((ErrorCode)code, text);
    }

    private static OkMessage DecodeOk(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "OK");
        var count = reader.ReadUInt32();
        reader.EnsureEnd();
        return new OkMessage(count);
    }

    private static Message DecodeEmpty(ReadOnlySpan<byte> payload, string name, Message instance)
    {
        new WireReader(payload, name).EnsureEnd();
        return instance;
    }

    private static AddMessage DecodeAdd(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "ADD");
        var entries = ReadEntries(ref reader);
        reader.EnsureEnd();
        return new AddMessage(entries);
    }

    private static RemoveMessage DecodeRemove(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "REMOVE");
        var count = reader.ReadCount("name", 2);
        var names = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            names.Add(reader.ReadFileName());
        }

        reader.EnsureEnd();
        return new RemoveMessage(names);
    }

    private static HashesMessage DecodeHashes(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "HASHES");
        var id = reader.ReadId();
        reader.EnsureEnd();
        return new HashesMessage(id);
    }

    private static HashListMessage DecodeHashList(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "HASH_LIST");
        var chunkSize = reader.ReadUInt32();
        if (chunkSize != Limits.ChunkSize)
        {
            throw reader.Fail($"chunk size {chunkSize} is not {Limits.ChunkSize}, the only chunk size of version 1");
        }

        var count = reader.ReadCount("digest", Limits.IdLength);
        var digests = reader.ReadBytes(count * Limits.IdLength, "digests");
        reader.EnsureEnd();
        return new HashListMessage(chunkSize, digests);
    }

    /// <summary>
    /// The address a RESULTS entry carries for <paramref name="address"/>: an IPv4 peer seen
    /// through a dual-stack socket (::ffff:a.b.c.d) travels as family 4.
    /// </summary>
    public static IPAddress NormalizeAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }
}
