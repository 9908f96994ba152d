using System.Net;
using System.Text;
using CsCheck;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary>
/// Properties of the codec over generated messages and bytes (CsCheck): every message round
/// trips, the views read what the records hold, and any bytes decode or fail with the codec's
/// error. A failure prints a seed; <c>CsCheck_Seed=SEED</c> runs that case again.
/// </summary>
public class CodecPropertyTests
{
    private static string Describe(Message message) =>
        $"{message.Name} of {MessageCodec.GetPayloadLength(message)} payload bytes: {Wire.ToHex(MessageCodec.EncodeFrame(message).AsSpan(0, Math.Min(96, MessageCodec.GetFrameLength(message))))}";

    [Fact]
    public void Every_generated_message_round_trips_through_frame_and_codec()
    {
        MessageGenerators.MessageOnChannel.Sample(sample =>
        {
            var (message, channel) = sample;
            var frame = MessageCodec.EncodeFrame(message);
            Assert.Equal(MessageCodec.GetFrameLength(message), frame.Length);

            var header = FrameHeader.Parse(frame);
            Assert.Equal((byte)message.Type, header.Type);
            Assert.Equal((uint)(frame.Length - Limits.FrameHeaderLength), header.PayloadLength);

            var payload = frame.AsSpan(Limits.FrameHeaderLength);
            MessageCodec.Validate(header.Type, payload, channel);
            var decoded = MessageCodec.Decode(header.Type, payload, channel);
            Assert.Equal(message, decoded);
            Assert.Equal(frame, MessageCodec.EncodeFrame(decoded));
        }, print: sample => Describe(sample.Message));
    }

    [Fact]
    public void Generated_names_are_valid_file_names_as_strings_and_as_bytes()
    {
        MessageGenerators.Name.Sample(name =>
        {
            Assert.Null(FileName.Validate(name));
            Assert.Null(FileName.ValidateUtf8(Encoding.UTF8.GetBytes(name)));
        });
        MessageGenerators.LongName.Sample(name => Assert.InRange(Encoding.UTF8.GetByteCount(name), Limits.MaxNameBytes - 3, Limits.MaxNameBytes));
    }

    [Fact]
    public void Views_read_the_fields_of_the_message_they_were_encoded_from()
    {
        MessageGenerators.MessageOnChannel.Sample(sample =>
        {
            var payload = MessageCodec.EncodeFrame(sample.Message).AsSpan(Limits.FrameHeaderLength);
            AssertViewReads(sample.Message, payload);
        }, print: sample => Describe(sample.Message));
    }

    [Fact]
    public void Any_payload_decodes_or_fails_with_the_codecs_error_on_either_channel_and_in_its_view()
    {
        MessageGenerators.AnyPayload.Sample(sample =>
        {
            var (type, channel, payload) = sample;
            ProtocolException? refused = null;
            try
            {
                var decoded = MessageCodec.Decode(type, payload, channel);
                Assert.Equal((byte)decoded.Type, type);
                AssertViewReads(decoded, payload);
            }
            catch (ProtocolException ex)
            {
                refused = ex;
                var known = type is >= (byte)MessageType.Register and <= Limits.MaxMessageType;
                Assert.Equal(known ? ErrorCode.BadRequest : ErrorCode.Unsupported, ex.Code);
                Assert.False(string.IsNullOrWhiteSpace(ex.Message));
            }

            // The allocation-free paths give the same verdict with the same reason.
            var validate = Record.Exception(() => MessageCodec.Validate(type, payload, channel));
            var view = Record.Exception(() => ParseView(type, payload, channel));
            foreach (var other in new[] { validate, view })
            {
                if (refused is null)
                {
                    Assert.Null(other);
                }
                else
                {
                    var ex = Assert.IsType<ProtocolException>(other);
                    Assert.Equal(refused.Code, ex.Code);
                    Assert.Equal(refused.Message, ex.Message);
                }
            }
        }, print: sample => $"type {sample.Type} on {sample.Channel}: {Wire.ToHex(sample.Payload.AsSpan(0, Math.Min(96, sample.Payload.Length)))} ({sample.Payload.Length} bytes)");
    }

    [Fact]
    public void Any_bytes_get_the_same_file_name_verdict_as_bytes_and_as_a_string()
    {
        Gen.Frequency(
            (2, MessageGenerators.Name.Select(name => Encoding.UTF8.GetBytes(name)).SelectMany(bytes => MessageGenerators.Mutation.Array[1, 3].Select(m => MessageGenerators.Mutate(bytes, m)))),
            (1, Gen.Byte.Array[0, 40]))
        .Sample(bytes =>
        {
            var reason = FileName.ValidateUtf8(bytes);
            Assert.Equal(reason is null, FileName.IsValidUtf8(bytes));
            if (System.Text.Unicode.Utf8.IsValid(bytes))
            {
                Assert.Equal(reason, FileName.Validate(Encoding.UTF8.GetString(bytes)));
            }
            else
            {
                Assert.NotNull(reason);
            }
        }, print: bytes => Wire.ToHex(bytes));
    }

    /// <summary>Parses <paramref name="payload"/> with the view of its type, the way the directory and the downloader read frames.</summary>
    private static void ParseView(byte type, ReadOnlySpan<byte> payload, Channel channel)
    {
        switch ((MessageType)type)
        {
            case MessageType.Register: RegisterView.Parse(payload); break;
            case MessageType.SearchOrGet when channel == Channel.Directory: SearchView.Parse(payload); break;
            case MessageType.SearchOrGet: GetView.Parse(payload); break;
            case MessageType.Results: ResultsView.Parse(payload); break;
            case MessageType.Data: DataHeader.Parse(payload); break;
            case MessageType.Error: ErrorView.Parse(payload); break;
            case MessageType.Ok: OkView.Parse(payload); break;
            case MessageType.Ping or MessageType.Pong: EmptyPayload.Validate((MessageType)type, payload); break;
            case MessageType.Add: AddView.Parse(payload); break;
            case MessageType.Remove: RemoveView.Parse(payload); break;
            case MessageType.Hashes: HashesView.Parse(payload); break;
            case MessageType.HashList: HashListView.Parse(payload); break;
            case MessageType.Locate: LocateView.Parse(payload); break;
            case MessageType.Sources: SourcesView.Parse(payload); break;
            case MessageType.Hold: HoldView.Parse(payload); break;
            case MessageType.Chunks: ChunksView.Parse(payload); break;
            case MessageType.ChunkMap: ChunkMapView.Parse(payload); break;
            default: MessageCodec.Validate(type, payload, channel); break;
        }
    }

    /// <summary>Reads every field of the view of <paramref name="payload"/>, entry by entry with its enumerator, and compares it with <paramref name="message"/>.</summary>
    private static void AssertViewReads(Message message, ReadOnlySpan<byte> payload)
    {
        switch (message)
        {
            case RegisterMessage m:
                var register = RegisterView.Parse(payload);
                Assert.Equal(m.ListenPort, register.ListenPort);
                AssertEntries(m.Files, register.Files);
                break;
            case AddMessage m:
                AssertEntries(m.Files, AddView.Parse(payload).Files);
                break;
            case RemoveMessage m:
                var names = new List<string>();
                foreach (var name in RemoveView.Parse(payload).Names)
                {
                    names.Add(Encoding.UTF8.GetString(name));
                }

                Assert.Equal(m.Names, names);
                break;
            case SearchMessage m:
                Assert.Equal(m.Query, SearchView.Parse(payload).GetQuery());
                break;
            case ResultsMessage m:
                var results = ResultsView.Parse(payload);
                Assert.Equal(m.Peers.Count, results.PeerCount);
                Assert.Equal(m.Peers.Sum(p => p.Files.Count), results.FileCount);
                var p = 0;
                foreach (var peer in results.Peers)
                {
                    Assert.Equal(MessageCodec.NormalizeAddress(m.Peers[p].Address), new IPAddress(peer.AddressBytes));
                    Assert.Equal(m.Peers[p].Port, peer.Port);
                    AssertEntries(m.Peers[p].Files, peer.Files);
                    p++;
                }

                Assert.Equal(m.Peers.Count, p);
                break;
            case GetMessage m:
                var get = GetView.Parse(payload);
                Assert.Equal(m, new GetMessage(get.GetFileName(), get.Offset, get.Length, get.Id));
                Assert.Equal(m.HasRange, get.HasRange);
                break;
            case DataMessage m:
                Assert.Equal(new DataHeader(m.Offset, m.Length), DataHeader.Parse(payload));
                break;
            case ErrorMessage m:
                var error = ErrorView.Parse(payload);
                Assert.Equal(m.Code, error.Code);
                Assert.Equal(m.Text, error.GetText());
                break;
            case OkMessage m:
                Assert.Equal(m.FileCount, OkView.Parse(payload).FileCount);
                break;
            case HashesMessage m:
                Assert.Equal(m.Id, HashesView.Parse(payload).Id);
                break;
            case HashListMessage m:
                var hashList = HashListView.Parse(payload);
                Assert.Equal(m.ChunkSize, hashList.ChunkSize);
                Assert.Equal(m.Count, hashList.Count);
                for (var i = 0; i < m.Count; i++)
                {
                    Assert.True(m.Digest(i).SequenceEqual(hashList.Digest(i)), $"digest {i}");
                }

                break;
            case PingMessage or PongMessage:
                EmptyPayload.Validate(message.Type, payload);
                Assert.True(payload.IsEmpty);
                break;
            case LocateMessage m:
                Assert.Equal(m.Id, LocateView.Parse(payload).Id);
                break;
            case ChunksMessage m:
                Assert.Equal(m.Id, ChunksView.Parse(payload).Id);
                break;
            case SourcesMessage m:
                var sources = SourcesView.Parse(payload);
                Assert.Equal(m.Id, sources.Id);
                Assert.Equal(m.Sources.Count, sources.Count);
                var s = 0;
                foreach (var source in sources.Sources)
                {
                    Assert.Equal(m.Sources[s] with { Address = MessageCodec.NormalizeAddress(m.Sources[s].Address) }, new HeldSource(source.GetAddress(), source.Port, source.Size, source.Held));
                    s++;
                }

                Assert.Equal(m.Sources.Count, s);
                break;
            case HoldMessage m:
                var items = new List<HoldItem>();
                foreach (var item in HoldView.Parse(payload).Items)
                {
                    items.Add(item);
                }

                Assert.Equal(m.Items, items);
                break;
            case ChunkMapMessage m:
                var map = ChunkMapView.Parse(payload);
                Assert.Equal(m.ChunkCount, map.ChunkCount);
                Assert.Equal(m.Fetching.ToArray(), map.Fetching.ToArray());
                for (var c = 0; c < m.ChunkCount; c++)
                {
                    Assert.Equal(m.Has(c), map.Has(c));
                }

                break;
            default:
                Assert.Fail($"no view for {message.Name}");
                break;
        }
    }

    private static void AssertEntries(IReadOnlyList<FileEntry> expected, FileEntryEnumerator files)
    {
        Assert.Equal(expected.Count, files.Count);
        var read = new List<FileEntry>(files.Count);
        foreach (var file in files)
        {
            Assert.True(FileName.IsValidUtf8(file.NameUtf8));
            read.Add(new FileEntry(file.GetName(), file.Size, file.Id));
        }

        Assert.Equal(expected, read);
    }
}
