using System.Net;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

public class CodecRoundTripTests
{
    public static TheoryData<string> Samples => new(Wire.SampleNames);

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_message_round_trips_through_frame_header_and_codec(string sample)
    {
        var message = Wire.Sample(sample);
        var frame = MessageCodec.EncodeFrame(message);

        Assert.Equal(MessageCodec.GetFrameLength(message), frame.Length);
        Assert.Equal(MessageCodec.GetPayloadLength(message) + Limits.FrameHeaderLength, frame.Length);

        var header = FrameHeader.Parse(frame.AsSpan(0, Limits.FrameHeaderLength));
        Assert.Equal((byte)message.Type, header.Type);
        Assert.Equal((uint)(frame.Length - Limits.FrameHeaderLength), header.PayloadLength);

        var decoded = MessageCodec.Decode(header.Type, frame.AsSpan(Limits.FrameHeaderLength), Wire.ChannelOf(message));

        Assert.Equal(message, decoded);
        Assert.Equal(message.GetHashCode(), decoded.GetHashCode());
        Assert.Equal(message.GetType(), decoded.GetType());
        // Re-encoding the decoded message gives the same bytes.
        Assert.Equal(frame, MessageCodec.EncodeFrame(decoded));
    }

    [Theory]
    [InlineData("REGISTER", MessageType.Register, "REGISTER")]
    [InlineData("SEARCH", MessageType.SearchOrGet, "SEARCH")]
    [InlineData("RESULTS", MessageType.Results, "RESULTS")]
    [InlineData("GET", MessageType.SearchOrGet, "GET")]
    [InlineData("DATA", MessageType.Data, "DATA")]
    [InlineData("ERROR", MessageType.Error, "ERROR")]
    [InlineData("OK", MessageType.Ok, "OK")]
    [InlineData("PING", MessageType.Ping, "PING")]
    [InlineData("PONG", MessageType.Pong, "PONG")]
    [InlineData("ADD", MessageType.Add, "ADD")]
    [InlineData("REMOVE", MessageType.Remove, "REMOVE")]
    [InlineData("HASHES", MessageType.Hashes, "HASHES")]
    [InlineData("HASH_LIST", MessageType.HashList, "HASH_LIST")]
    [InlineData("LOCATE", MessageType.Locate, "LOCATE")]
    [InlineData("SOURCES", MessageType.Sources, "SOURCES")]
    [InlineData("HOLD", MessageType.Hold, "HOLD")]
    [InlineData("CHUNKS", MessageType.Chunks, "CHUNKS")]
    [InlineData("CHUNK_MAP", MessageType.ChunkMap, "CHUNK_MAP")]
    public void Every_message_has_its_type_and_name(string sample, MessageType type, string name)
    {
        var message = Wire.Sample(sample);
        Assert.Equal(type, message.Type);
        Assert.Equal(name, message.Name);
    }

    [Fact]
    public void Type_numbers_are_those_of_the_specification()
    {
        Assert.Equal(1, (byte)MessageType.Register);
        Assert.Equal(2, (byte)MessageType.SearchOrGet);
        Assert.Equal(3, (byte)MessageType.Results);
        Assert.Equal(4, (byte)MessageType.Data);
        Assert.Equal(5, (byte)MessageType.Error);
        Assert.Equal(6, (byte)MessageType.Ok);
        Assert.Equal(7, (byte)MessageType.Ping);
        Assert.Equal(8, (byte)MessageType.Pong);
        Assert.Equal(9, (byte)MessageType.Add);
        Assert.Equal(10, (byte)MessageType.Remove);
        Assert.Equal(11, (byte)MessageType.Hashes);
        Assert.Equal(12, (byte)MessageType.HashList);
        Assert.Equal(13, (byte)MessageType.Locate);
        Assert.Equal(14, (byte)MessageType.Sources);
        Assert.Equal(15, (byte)MessageType.Hold);
        Assert.Equal(16, (byte)MessageType.Chunks);
        Assert.Equal(17, (byte)MessageType.ChunkMap);
        Assert.Equal(17, Limits.MaxMessageType);

        Assert.Equal(1, (ushort)ErrorCode.BadRequest);
        Assert.Equal(2, (ushort)ErrorCode.NotFound);
        Assert.Equal(3, (ushort)ErrorCode.TooLarge);
        Assert.Equal(4, (ushort)ErrorCode.Busy);
        Assert.Equal(5, (ushort)ErrorCode.Unsupported);
        Assert.Equal(6, (ushort)ErrorCode.Internal);
    }

    [Fact]
    public void Type_2_is_SEARCH_on_a_directory_connection_and_GET_on_a_peer_connection()
    {
        var payload = Wire.Payload(new SearchMessage("hello.txt"));

        Assert.Equal(new SearchMessage("hello.txt"), MessageCodec.Decode(2, payload, Channel.Directory));
        Assert.Equal(new GetMessage("hello.txt"), MessageCodec.Decode(2, payload, Channel.Peer));
    }

    [Fact]
    public void A_search_query_is_not_a_file_name()
    {
        // Any string is a valid query; only GET validates its name.
        var payload = Wire.Payload(new SearchMessage("/etc/../passwd"));
        Assert.Equal(new SearchMessage("/etc/../passwd"), MessageCodec.Decode(2, payload, Channel.Directory));
        Wire.AssertRefused(ErrorCode.BadRequest, 2, payload, Channel.Peer);
    }

    [Theory]
    [InlineData(Channel.Directory)]
    [InlineData(Channel.Peer)]
    public void Messages_other_than_type_2_decode_the_same_on_both_channels(Channel channel)
    {
        foreach (var sample in Wire.SampleNames)
        {
            var message = Wire.Sample(sample);
            if (message.Type == MessageType.SearchOrGet)
            {
                continue;
            }

            Assert.Equal(message, Wire.DecodeFrame(MessageCodec.EncodeFrame(message), channel));
        }
    }

    [Fact]
    public void HASHES_round_trips_on_a_peer_connection()
    {
        var message = new HashesMessage(Wire.HelloId);
        var frame = MessageCodec.EncodeFrame(message);

        Assert.Equal(Limits.FrameHeaderLength + Limits.IdLength, frame.Length);
        var decoded = Assert.IsType<HashesMessage>(Wire.DecodeFrame(frame, Channel.Peer));
        Assert.Equal(Wire.HelloId, decoded.Id);
        Assert.Equal(message, decoded);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void HASH_LIST_round_trips_on_a_peer_connection(int count)
    {
        var seeds = Enumerable.Range(0, count).Select(i => (byte)(10 + 40 * i)).ToArray();
        var message = Wire.HashList(seeds);
        var frame = MessageCodec.EncodeFrame(message);

        Assert.Equal(4 + 4 + 32 * count, MessageCodec.GetPayloadLength(message));
        Assert.Equal(Limits.FrameHeaderLength + 8 + 32 * count, frame.Length);

        var decoded = Assert.IsType<HashListMessage>(Wire.DecodeFrame(frame, Channel.Peer));
        Assert.Equal(message, decoded);
        Assert.Equal(message.GetHashCode(), decoded.GetHashCode());
        Assert.Equal((uint)Limits.ChunkSize, decoded.ChunkSize);
        Assert.Equal(count, decoded.Count);
        Assert.Equal(32 * count, decoded.Digests.Length);
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(Wire.Id(seeds[i]).ToArray(), decoded.Digest(i).ToArray());
        }

        Assert.Equal(frame, MessageCodec.EncodeFrame(decoded));
    }

    [Fact]
    public void HASH_LIST_equality_follows_chunk_size_and_every_digest_byte()
    {
        var digests = Wire.HashList(1, 2).Digests.ToArray();
        var message = new HashListMessage(Limits.ChunkSize, digests);

        // The message keeps its own copy of the digests.
        digests[0] ^= 1;
        Assert.Equal(Wire.HashList(1, 2), message);

        Assert.NotEqual(new HashListMessage(Limits.ChunkSize, digests), message);
        Assert.NotEqual(new HashListMessage(4096, message.Digests), message);
        Assert.NotEqual(Wire.HashList(1), message);
        Assert.NotEqual(Wire.HashList(2, 1), message);
        Assert.Equal(Wire.HashList(), Wire.HashList());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(95)]
    public void HASH_LIST_digests_must_be_a_multiple_of_32_bytes(int length)
    {
        Assert.Throws<ArgumentException>(() => new HashListMessage(Limits.ChunkSize, new byte[length]));
    }

    [Fact]
    public void The_largest_HASH_LIST_has_524287_digests_and_one_more_cannot_be_encoded()
    {
        // (16,777,216 − 8) / 32 = 524,287 digests: a file of up to 524,287 MiB.
        const int MaxDigests = (Limits.MaxControlPayload - 8) / Limits.IdLength;
        Assert.Equal(524_287, MaxDigests);

        var largest = new HashListMessage(Limits.ChunkSize, new byte[MaxDigests * Limits.IdLength]);
        Assert.Equal(Limits.MaxControlPayload - 24, MessageCodec.GetPayloadLength(largest));
        Assert.Equal(largest, Wire.DecodeFrame(MessageCodec.EncodeFrame(largest), Channel.Peer));

        var tooLarge = new HashListMessage(Limits.ChunkSize, new byte[(MaxDigests + 1) * Limits.IdLength]);
        var ex = Assert.Throws<ProtocolException>(() => MessageCodec.GetPayloadLength(tooLarge));
        Assert.Equal(ErrorCode.TooLarge, ex.Code);
    }

    [Fact]
    public void GET_with_default_range_is_sent_in_the_short_form()
    {
        var message = new GetMessage("hello.txt", 0, 0, ContentId.Zero);
        Assert.False(message.HasRange);
        Assert.Equal(2 + 9, MessageCodec.GetPayloadLength(message));
        Assert.Equal(MessageCodec.EncodeFrame(new GetMessage("hello.txt")), MessageCodec.EncodeFrame(message));
    }

    [Theory]
    [InlineData(1UL, 0UL, false)]
    [InlineData(0UL, 1UL, false)]
    [InlineData(0UL, 0UL, true)]
    public void GET_with_any_non_default_field_is_sent_in_the_long_form(ulong offset, ulong length, bool withId)
    {
        var message = new GetMessage("hello.txt", offset, length, withId ? Wire.HelloId : ContentId.Zero);
        Assert.True(message.HasRange);
        Assert.Equal(2 + 9 + 8 + 8 + 32, MessageCodec.GetPayloadLength(message));
        Assert.Equal(message, Wire.DecodeFrame(MessageCodec.EncodeFrame(message), Channel.Peer));
    }

    [Fact]
    public void GET_long_form_with_all_defaults_decodes_equal_to_the_short_form()
    {
        var payload = Wire.Hex("0009 68656c6c6f2e747874 | 0000000000000000 | 0000000000000000 | " + new string('0', 64));
        var decoded = Assert.IsType<GetMessage>(MessageCodec.Decode(2, payload, Channel.Peer));
        Assert.Equal(new GetMessage("hello.txt"), decoded);
        Assert.False(decoded.HasRange);
    }

    [Fact]
    public void An_IPv4_peer_seen_through_a_dual_stack_socket_travels_as_family_4()
    {
        var mapped = IPAddress.Parse("::ffff:10.1.2.3");
        var message = new ResultsMessage([new PeerFiles(mapped, 3300, [Wire.HelloTxt])]);
        var payload = Wire.Payload(message);

        Assert.Equal("00000001" + "04" + "0a010203" + "0ce4", Wire.ToHex(payload.AsSpan(0, 4 + 1 + 4 + 2)));
        var decoded = Assert.IsType<ResultsMessage>(MessageCodec.Decode(3, payload, Channel.Directory));
        Assert.Equal(IPAddress.Parse("10.1.2.3"), decoded.Peers[0].Address);
        Assert.Equal(IPAddress.Parse("10.1.2.3"), MessageCodec.NormalizeAddress(mapped));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.1.2.3"), 3300), decoded.Peers[0].EndPoint);
    }

    [Fact]
    public void RESULTS_with_a_thousand_entries_round_trips()
    {
        var files = Enumerable.Range(0, Limits.MaxSearchResults)
            .Select(i => new FileEntry($"dir{i % 7}/file-{i}.bin", (ulong)i * 1000, Wire.Id((byte)i)))
            .ToArray();
        var message = new ResultsMessage(
        [
            new PeerFiles(IPAddress.Parse("192.0.2.1"), 3300, files[..600]),
            new PeerFiles(IPAddress.Parse("2001:db8::1"), 3300, files[600..]),
        ]);

        Assert.Equal(message, Wire.DecodeFrame(MessageCodec.EncodeFrame(message), Channel.Directory));
    }

    [Fact]
    public void WriteFrame_writes_into_a_larger_buffer_and_returns_the_frame_length()
    {
        var message = Wire.Sample("REGISTER");
        var buffer = new byte[1000];
        var written = MessageCodec.WriteFrame(message, buffer);

        Assert.Equal(MessageCodec.GetFrameLength(message), written);
        Assert.Equal(MessageCodec.EncodeFrame(message), buffer[..written]);
        Assert.All(buffer[written..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void A_string_longer_than_a_u16_length_cannot_be_encoded()
    {
        var message = new SearchMessage(new string('a', ushort.MaxValue + 1));
        Assert.Throws<ArgumentException>(() => MessageCodec.EncodeFrame(message));

        var longest = new SearchMessage(new string('a', ushort.MaxValue));
        Assert.Equal(longest, Wire.DecodeFrame(MessageCodec.EncodeFrame(longest), Channel.Directory));
    }

    [Fact]
    public void A_message_over_the_payload_limit_cannot_be_encoded()
    {
        var entry = new FileEntry(new string('n', 1000), 1, ContentId.Zero);
        // 1042 bytes each: 16,200 entries are a little over 16 MiB.
        var message = new RegisterMessage(3300, Enumerable.Repeat(entry, 16_200).ToArray());

        var ex = Assert.Throws<ProtocolException>(() => MessageCodec.GetPayloadLength(message));
        Assert.Equal(ErrorCode.TooLarge, ex.Code);
    }

    [Fact]
    public void An_ERROR_with_a_code_this_version_does_not_know_still_decodes()
    {
        var decoded = Assert.IsType<ErrorMessage>(MessageCodec.Decode(5, Wire.Hex("0063 0000"), Channel.Peer));
        Assert.Equal((ErrorCode)99, decoded.Code);
        Assert.Equal("", decoded.Text);
    }
}
