using System.Net;

namespace P2PShare.Protocol;

/// <summary>
/// Turns payloads into messages and back. Decoding is a pure function of (type, payload, channel)
/// that returns a message or throws a <see cref="ProtocolException"/> with the ERROR code and a
/// precise reason; it never reads past the payload it was given.
/// </summary>
public static class MessageCodec
{
    /// <remarks>
    /// Built on the allocation-free views (<see cref="RegisterView"/>, <see cref="GetView"/>, ...),
    /// which hold the one set of checks: a payload the views refuse is refused here with the
    /// same exception, and <see cref="Validate"/> gives the same verdict without allocating.
    /// </remarks>
    public static Message Decode(byte type, ReadOnlySpan<byte> payload, Channel channel)
    {
        EnsureWithinLimit(payload);
        return (MessageType)type switch
        {
            MessageType.Register => RegisterView.Parse(payload).ToMessage(),
            MessageType.SearchOrGet when channel == Channel.Directory => SearchView.Parse(payload).ToMessage(),
            MessageType.SearchOrGet => GetView.Parse(payload).ToMessage(),
            MessageType.Results => ResultsView.Parse(payload).ToMessage(),
            MessageType.Data => DataHeader.Parse(payload).ToMessage(),
            MessageType.Error => ErrorView.Parse(payload).ToMessage(),
            MessageType.Ok => OkView.Parse(payload).ToMessage(),
            MessageType.Ping => DecodeEmpty(MessageType.Ping, payload, PingMessage.Instance),
            MessageType.Pong => DecodeEmpty(MessageType.Pong, payload, PongMessage.Instance),
            MessageType.Add => AddView.Parse(payload).ToMessage(),
            MessageType.Remove => RemoveView.Parse(payload).ToMessage(),
            MessageType.Hashes => HashesView.Parse(payload).ToMessage(),
            MessageType.HashList => HashListView.Parse(payload).ToMessage(),
            MessageType.Locate => LocateView.Parse(payload).ToMessage(),
            MessageType.Sources => SourcesView.Parse(payload).ToMessage(),
            MessageType.Hold => HoldView.Parse(payload).ToMessage(),
            MessageType.Chunks => ChunksView.Parse(payload).ToMessage(),
            MessageType.ChunkMap => ChunkMapView.Parse(payload).ToMessage(),
            _ => throw Unsupported(type),
        };
    }

    /// <summary>
    /// Checks a payload exactly as <see cref="Decode"/> does (same <see cref="ProtocolException"/>
    /// for the same bytes) without building a message: allocates nothing when it is valid.
    /// </summary>
    public static void Validate(byte type, ReadOnlySpan<byte> payload, Channel channel)
    {
        EnsureWithinLimit(payload);
        switch ((MessageType)type)
        {
            case MessageType.Register:
                RegisterView.Parse(payload);
                break;
            case MessageType.SearchOrGet when channel == Channel.Directory:
                SearchView.Parse(payload);
                break;
            case MessageType.SearchOrGet:
                GetView.Parse(payload);
                break;
            case MessageType.Results:
                ResultsView.Parse(payload);
                break;
            case MessageType.Data:
                DataHeader.Parse(payload);
                break;
            case MessageType.Error:
                ErrorView.Parse(payload);
                break;
            case MessageType.Ok:
                OkView.Parse(payload);
                break;
            case MessageType.Ping or MessageType.Pong:
                EmptyPayload.Validate((MessageType)type, payload);
                break;
            case MessageType.Add:
                AddView.Parse(payload);
                break;
            case MessageType.Remove:
                RemoveView.Parse(payload);
                break;
            case MessageType.Hashes:
                HashesView.Parse(payload);
                break;
            case MessageType.HashList:
                HashListView.Parse(payload);
                break;
            case MessageType.Locate:
                LocateView.Parse(payload);
                break;
            case MessageType.Sources:
                SourcesView.Parse(payload);
                break;
            case MessageType.Hold:
                HoldView.Parse(payload);
                break;
            case MessageType.Chunks:
                ChunksView.Parse(payload);
                break;
            case MessageType.ChunkMap:
                ChunkMapView.Parse(payload);
                break;
            default:
                throw Unsupported(type);
        }
    }

    /// <summary>Number of payload bytes <paramref name="message"/> encodes to (the frame adds 5).</summary>
    public static int GetPayloadLength(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        long length = message switch
        {
            RegisterMessage m => 2 + 4 + EntriesLength(m.Files),
            SearchMessage m => WireWriter.StringLength(m.Query),
            ResultsMessage m => 4 + PeersLength(m.Peers),
            GetMessage m => WireWriter.StringLength(m.FileName) + (m.HasRange ? 8 + 8 + Limits.IdLength : 0),
            DataMessage => Limits.DataHeaderPayloadLength,
            ErrorMessage m => 2 + WireWriter.StringLength(m.Text),
            OkMessage => 4,
            PingMessage or PongMessage => 0,
            AddMessage m => 4 + EntriesLength(m.Files),
            RemoveMessage m => 4 + NamesLength(m.Names),
            HashesMessage => Limits.IdLength,
            HashListMessage m => 4 + 4 + (long)m.Count * Limits.IdLength,
            LocateMessage or ChunksMessage => Limits.IdLength,
            SourcesMessage m => Limits.IdLength + 4 + SourcesLength(m.Sources) + WireWriter.StringLength(m.FileName),
            HoldMessage m => 4 + ((long)m.Items.Count * Limits.HoldItemLength),
            ChunkMapMessage m => 4 + (2 * (long)m.Bitmap.Length),
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
                // Indexed loops: foreach over an IReadOnlyList allocates an enumerator.
                for (var p = 0; p < m.Peers.Count; p++)
                {
                    var peer = m.Peers[p];
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
                for (var n = 0; n < m.Names.Count; n++)
                {
                    writer.WriteString(m.Names[n]);
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
            case LocateMessage m:
                writer.WriteId(m.Id);
                break;
            case SourcesMessage m:
                writer.WriteId(m.Id);
                writer.WriteUInt32((uint)m.Sources.Count);
                for (var i = 0; i < m.Sources.Count; i++)
                {
                    var source = m.Sources[i];
                    writer.WriteAddress(source.Address);
                    writer.WriteUInt16(source.Port);
                    writer.WriteUInt64(source.Size);
                    writer.WriteUInt32(source.Held);
                }

                writer.WriteString(m.FileName);
                break;
            case HoldMessage m:
                writer.WriteUInt32((uint)m.Items.Count);
                for (var i = 0; i < m.Items.Count; i++)
                {
                    var item = m.Items[i];
                    writer.WriteId(item.Id);
                    writer.WriteUInt64(item.Size);
                    writer.WriteUInt32(item.Held);
                }

                break;
            case ChunksMessage m:
                writer.WriteId(m.Id);
                break;
            case ChunkMapMessage m:
                writer.WriteUInt32((uint)m.ChunkCount);
                writer.WriteBytes(m.Bitmap);
                writer.WriteBytes(m.Fetching);
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

    private static long EntriesLength(IReadOnlyList<FileEntry> entries)
    {
        long length = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            length += WireWriter.FileEntryLength(entries[i]);
        }

        return length;
    }

    private static long PeersLength(IReadOnlyList<PeerFiles> peers)
    {
        long length = 0;
        for (var i = 0; i < peers.Count; i++)
        {
            length += WireWriter.AddressLength(peers[i].Address) + 2 + 4 + EntriesLength(peers[i].Files);
        }

        return length;
    }

    private static long SourcesLength(IReadOnlyList<HeldSource> sources)
    {
        long length = 0;
        for (var i = 0; i < sources.Count; i++)
        {
            length += WireWriter.AddressLength(sources[i].Address) + 2 + 8 + 4;
        }

        return length;
    }

    private static long NamesLength(IReadOnlyList<string> names)
    {
        long length = 0;
        for (var i = 0; i < names.Count; i++)
        {
            length += WireWriter.StringLength(names[i]);
        }

        return length;
    }

    private static void WriteEntries(ref WireWriter writer, IReadOnlyList<FileEntry> entries)
    {
        writer.WriteUInt32((uint)entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            writer.WriteFileEntry(entries[i]);
        }
    }

    private static void EnsureWithinLimit(ReadOnlySpan<byte> payload)
    {
        if (payload.Length > Limits.MaxControlPayload)
        {
            throw new ProtocolException(ErrorCode.TooLarge, $"payload of {payload.Length} bytes exceeds the limit of {Limits.MaxControlPayload} bytes");
        }
    }

    private static ProtocolException Unsupported(byte type) => new(ErrorCode.Unsupported, $"unknown message type {type}");

    private static Message DecodeEmpty(MessageType type, ReadOnlySpan<byte> payload, Message instance)
    {
        EmptyPayload.Validate(type, payload);
        return instance;
    }

    /// <summary>
    /// The address a RESULTS or SOURCES record carries for <paramref name="address"/>: an IPv4 peer seen
    /// through a dual-stack socket (::ffff:a.b.c.d) travels as family 4.
    /// </summary>
    public static IPAddress NormalizeAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }
}
