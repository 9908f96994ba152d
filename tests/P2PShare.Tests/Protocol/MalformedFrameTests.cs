using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary>Every malformed frame is refused with the ERROR code the specification gives it.</summary>
public class MalformedFrameTests
{
    private const string HelloTxtEntry =
        "0009 68656c6c6f2e747874 | 0000000000000005 | " + Wire.HelloIdHex;

    public static TheoryData<string> MessagesWithFields => new(
        Wire.SampleNames.Where(n => Wire.Sample(n) is not (PingMessage or PongMessage)));

    public static TheoryData<string> AllMessages => new(Wire.SampleNames);

    // ---- Short ----------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(MessagesWithFields))]
    public void Every_truncation_of_a_payload_is_a_bad_request(string sample)
    {
        var message = Wire.Sample(sample);
        var payload = Wire.Payload(message);
        var channel = Wire.ChannelOf(message);
        Assert.NotEmpty(payload);

        for (var length = 0; length < payload.Length; length++)
        {
            if (message is GetMessage get && get.HasRange && length == WireStringLength(get.FileName))
            {
                // Exactly the name is the short form of GET, which is valid.
                continue;
            }

            Wire.AssertRefused(ErrorCode.BadRequest, (byte)message.Type, payload.AsSpan(0, length), channel);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(47)]
    [InlineData(49)]
    public void GET_with_part_of_the_optional_fields_is_a_bad_request(int extra)
    {
        var payload = Wire.Hex("0009 68656c6c6f2e747874" + new string('0', extra * 2));
        var ex = Wire.AssertRefused(ErrorCode.BadRequest, 2, payload, Channel.Peer);
        Assert.Contains("GET", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    public void A_truncated_frame_header_is_a_bad_request(int length)
    {
        var header = new byte[length];
        if (length > 0)
        {
            header[0] = 7;
        }

        var ex = Assert.Throws<ProtocolException>(() => FrameHeader.Parse(header));
        Assert.Equal(ErrorCode.BadRequest, ex.Code);
    }

    [Fact]
    public void A_truncation_message_names_the_message_and_the_offset()
    {
        var ex = Wire.AssertRefused(ErrorCode.BadRequest, 4, Wire.Hex("0000000000000001 000000"), Channel.Peer);
        Assert.Contains("DATA", ex.Message, StringComparison.Ordinal);
        Assert.Contains("8", ex.Message, StringComparison.Ordinal);
    }

    // ---- Too long -------------------------------------------------------------------------

    [Theory]
    [InlineData("01 01000001")]
    [InlineData("01 80000000")]
    [InlineData("01 ffffffff")]
    [InlineData("04 ffffffff")]
    [InlineData("07 01000001")]
    [InlineData("00 80000000")]
    [InlineData("c8 ffffffff")]
    public void A_length_over_16_MiB_is_refused_by_the_header_as_too_large(string hex)
    {
        var ex = Assert.Throws<ProtocolException>(() => FrameHeader.Parse(Wire.Hex(hex)));
        Assert.Equal(ErrorCode.TooLarge, ex.Code);
    }

    [Fact]
    public void A_length_of_exactly_16_MiB_is_accepted_by_the_header()
    {
        var header = FrameHeader.Parse(Wire.Hex("01 01000000"));
        Assert.Equal(new FrameHeader(1, 16 * 1024 * 1024), header);
        Assert.Equal((uint)Limits.MaxControlPayload, header.PayloadLength);
    }

    [Fact]
    public void The_header_limit_can_be_lowered()
    {
        Assert.Equal(new FrameHeader(4, 16), FrameHeader.Parse(Wire.Hex("04 00000010"), maxPayload: 16));
        var ex = Assert.Throws<ProtocolException>(() => FrameHeader.Parse(Wire.Hex("04 00000011"), maxPayload: 16));
        Assert.Equal(ErrorCode.TooLarge, ex.Code);
    }

    [Fact]
    public void FrameHeader_reads_only_its_five_bytes()
    {
        Assert.Equal(new FrameHeader(6, 4), FrameHeader.Parse(Wire.Hex("06 00000004 | 00000001")));
    }

    [Fact]
    public void A_payload_over_16_MiB_is_refused_by_the_codec_as_too_large()
    {
        var payload = new byte[Limits.MaxControlPayload + 1];
        Wire.AssertRefused(ErrorCode.TooLarge, 1, payload, Channel.Directory);
    }

    // ---- Bad type -------------------------------------------------------------------------

    [Theory]
    [InlineData(0)]
    [InlineData(18)]
    [InlineData(19)]
    [InlineData(200)]
    [InlineData(255)]
    public void An_unknown_type_is_unsupported(byte type)
    {
        var ex = Assert.Throws<ProtocolException>(() => FrameHeader.Parse([type, 0, 0, 0, 0]));
        Assert.Equal(ErrorCode.Unsupported, ex.Code);

        Wire.AssertRefused(ErrorCode.Unsupported, type, [], Channel.Directory);
        Wire.AssertRefused(ErrorCode.Unsupported, type, [1, 2, 3], Channel.Peer);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(11)]
    [InlineData(12)]
    public void Known_types_pass_the_header(byte type)
    {
        Assert.Equal(type, FrameHeader.Parse([type, 0, 0, 0, 0]).Type);
    }

    // ---- Bad string -----------------------------------------------------------------------

    [Theory]
    [InlineData("ff")]
    [InlineData("c0 80")] // overlong encoding of U+0000
    [InlineData("c3")] // truncated two-byte sequence
    [InlineData("e2 82")] // truncated three-byte sequence
    [InlineData("ed a0 80")] // UTF-16 surrogate U+D800
    [InlineData("f4 90 80 80")] // above U+10FFFF
    [InlineData("80")] // lone continuation byte
    [InlineData("61 fe 62")]
    public void Invalid_UTF8_is_a_bad_request(string utf8)
    {
        var bytes = Wire.Hex(utf8);
        var text = Wire.ToHex([(byte)(bytes.Length >> 8), (byte)bytes.Length]) + utf8;

        Wire.AssertRefused(ErrorCode.BadRequest, 2, Wire.Hex(text), Channel.Directory); // SEARCH query
        Wire.AssertRefused(ErrorCode.BadRequest, 2, Wire.Hex(text), Channel.Peer); // GET name
        Wire.AssertRefused(ErrorCode.BadRequest, 5, Wire.Hex("0001" + text), Channel.Peer); // ERROR message
        Wire.AssertRefused(ErrorCode.BadRequest, 1, Wire.Hex("0ce4 00000001" + text + "0000000000000005" + Wire.HelloIdHex), Channel.Directory);
        Wire.AssertRefused(ErrorCode.BadRequest, 9, Wire.Hex("00000001" + text + "0000000000000005" + Wire.HelloIdHex), Channel.Directory);
        Wire.AssertRefused(ErrorCode.BadRequest, 10, Wire.Hex("00000001" + text), Channel.Directory);
    }

    [Fact]
    public void Invalid_UTF8_error_says_so()
    {
        var ex = Wire.AssertRefused(ErrorCode.BadRequest, 2, Wire.Hex("0001 ff"), Channel.Directory);
        Assert.Contains("UTF-8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_UTF8_byte_order_mark_is_kept_as_a_character()
    {
        var decoded = Assert.IsType<SearchMessage>(MessageCodec.Decode(2, Wire.Hex("0004 efbbbf61"), Channel.Directory));
        Assert.Equal("\uFEFFa", decoded.Query);
    }

    [Theory]
    [InlineData("0005 61626364")] // 5 declared, 4 present
    [InlineData("0001")]
    [InlineData("ffff 61")]
    [InlineData("00")]
    public void A_string_length_past_the_end_is_a_bad_request(string hex)
    {
        Wire.AssertRefused(ErrorCode.BadRequest, 2, Wire.Hex(hex), Channel.Directory);
        Wire.AssertRefused(ErrorCode.BadRequest, 2, Wire.Hex(hex), Channel.Peer);
        Wire.AssertRefused(ErrorCode.BadRequest, 5, Wire.Hex("0001" + hex), Channel.Directory);
    }

    // ---- Bad name -------------------------------------------------------------------------

    public static TheoryData<string> BadNames => new(FileNameTests.InvalidNames.Concat(FileNameTests.InvisibleFormatNames));

    [Theory]
    [MemberData(nameof(BadNames))]
    public void A_bad_name_is_a_bad_request_in_every_message_that_carries_names(string name)
    {
        var text = EncodeString(name);
        var entry = text + "0000000000000005" + Wire.HelloIdHex;

        Wire.AssertRefused(ErrorCode.BadRequest, 2, Wire.Hex(text), Channel.Peer);
        Wire.AssertRefused(ErrorCode.BadRequest, 2, Wire.Hex(text + "0000000000000000 0000000000000000" + new string('0', 64)), Channel.Peer);
        Wire.AssertRefused(ErrorCode.BadRequest, 1, Wire.Hex("0ce4 00000001" + entry), Channel.Directory);
        Wire.AssertRefused(ErrorCode.BadRequest, 9, Wire.Hex("00000001" + entry), Channel.Directory);
        Wire.AssertRefused(ErrorCode.BadRequest, 10, Wire.Hex("00000001" + text), Channel.Directory);
        Wire.AssertRefused(ErrorCode.BadRequest, 3, Wire.Hex("00000001 04 7f000001 0ce4 00000001" + entry), Channel.Directory);
    }

    public static TheoryData<string> GoodNames => new(FileNameTests.ValidNames);

    [Theory]
    [MemberData(nameof(GoodNames))]
    public void A_good_name_decodes_in_every_message_that_carries_names(string name)
    {
        var entry = new FileEntry(name, 5, Wire.HelloId);
        Message[] messages =
        [
            new GetMessage(name),
            new GetMessage(name, 5, 6, Wire.HelloId),
            new RegisterMessage(3300, [entry]),
            new AddMessage([entry]),
            new RemoveMessage([name]),
            new ResultsMessage([new PeerFiles(System.Net.IPAddress.Loopback, 3300, [entry])]),
        ];
        foreach (var message in messages)
        {
            Assert.Equal(message, Wire.DecodeFrame(MessageCodec.EncodeFrame(message), Wire.ChannelOf(message)));
        }
    }

    [Fact]
    public void A_1024_byte_name_is_fine_and_a_1025_byte_name_is_not()
    {
        var fine = new string('n', 1024);
        Assert.Equal(new GetMessage(fine), MessageCodec.Decode(2, Wire.Hex(EncodeString(fine)), Channel.Peer));

        var tooLong = new string('n', 1025);
        var ex = Wire.AssertRefused(ErrorCode.BadRequest, 2, Wire.Hex(EncodeString(tooLong)), Channel.Peer);
        Assert.Contains("1025", ex.Message, StringComparison.Ordinal);
    }

    // ---- Trailing bytes -------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(AllMessages))]
    public void Trailing_bytes_after_a_message_are_a_bad_request(string sample)
    {
        var message = Wire.Sample(sample);
        var payload = Wire.Payload(message);
        var channel = Wire.ChannelOf(message);

        foreach (var extra in new[] { 1, 2, 7, 100 })
        {
            var longer = new byte[payload.Length + extra];
            payload.CopyTo(longer, 0);
            Wire.AssertRefused(ErrorCode.BadRequest, (byte)message.Type, longer, channel);
        }
    }

    [Fact]
    public void Trailing_bytes_error_says_how_many()
    {
        var ex = Wire.AssertRefused(ErrorCode.BadRequest, 7, [0, 0, 0], Channel.Directory);
        Assert.Contains("3 unexpected bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("PING", ex.Message, StringComparison.Ordinal);
    }

    // ---- Counts ---------------------------------------------------------------------------

    [Theory]
    [InlineData(1, "0ce4 ffffffff")]
    [InlineData(1, "0ce4 80000000")]
    [InlineData(1, "0ce4 00000002" + HelloTxtEntry)]
    [InlineData(9, "ffffffff")]
    [InlineData(9, "00000001 0000000000")]
    [InlineData(10, "ffffffff")]
    [InlineData(10, "7fffffff 0001 61")]
    [InlineData(3, "ffffffff")]
    [InlineData(3, "00000002 04 7f000001 0ce4 00000000")]
    [InlineData(3, "00000001 04 7f000001 0ce4 ffffffff")]
    [InlineData(3, "00000001 06 00000000000000000000000000000001 0ce4 ffffffff" + HelloTxtEntry)]
    public void A_count_larger_than_the_payload_could_hold_is_a_bad_request_without_allocating(byte type, string hex)
    {
        var payload = Wire.Hex(hex);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<ProtocolException>(() => MessageCodec.Decode(type, payload, Channel.Directory));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(ErrorCode.BadRequest, ex.Code);
        // An exception with its message and stack trace; nothing sized by the count.
        Assert.True(allocated < 256 * 1024, $"decoding allocated {allocated} bytes");
    }

    [Fact]
    public void A_count_error_says_what_the_count_was()
    {
        var ex = Wire.AssertRefused(ErrorCode.BadRequest, 1, Wire.Hex("0ce4 ffffffff"), Channel.Directory);
        Assert.Contains("4294967295", ex.Message, StringComparison.Ordinal);
        Assert.Contains("REGISTER", ex.Message, StringComparison.Ordinal);
    }

    // ---- Address family and port ----------------------------------------------------------

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(16)]
    [InlineData(41)]
    [InlineData(255)]
    public void A_RESULTS_address_family_other_than_4_or_6_is_a_bad_request(byte family)
    {
        var hex = "00000001 " + Wire.ToHex([family]) + " 7f000001 0ce4 00000000"
            + new string('0', 24); // enough bytes for a 16-byte address too
        var ex = Wire.AssertRefused(ErrorCode.BadRequest, 3, Wire.Hex(hex), Channel.Directory);
        Assert.Contains("family", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_RESULTS_IPv6_address_cut_short_is_a_bad_request()
    {
        Wire.AssertRefused(ErrorCode.BadRequest, 3, Wire.Hex("00000001 06 7f000001 0ce4 00000000"), Channel.Directory);
    }

    [Fact]
    public void REGISTER_with_listen_port_0_is_a_bad_request()
    {
        var ex = Wire.AssertRefused(ErrorCode.BadRequest, 1, Wire.Hex("0000 00000000"), Channel.Directory);
        Assert.Contains("port 0", ex.Message, StringComparison.Ordinal);
        Wire.AssertRefused(ErrorCode.BadRequest, 1, Wire.Hex("0000 00000001" + HelloTxtEntry), Channel.Directory);
    }

    [Fact]
    public void Empty_messages_with_a_payload_are_a_bad_request()
    {
        Wire.AssertRefused(ErrorCode.BadRequest, 7, [0], Channel.Directory);
        Wire.AssertRefused(ErrorCode.BadRequest, 8, [0], Channel.Peer);
    }

    // ---- HASHES and HASH_LIST ------------------------------------------------------------

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(31)]
    public void HASHES_with_a_truncated_id_is_a_bad_request(int length)
    {
        var ex = Wire.AssertRefused(ErrorCode.BadRequest, 11, Wire.HelloId.ToArray().AsSpan(0, length), Channel.Peer);
        Assert.Contains("HASHES", ex.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(32)]
    public void HASHES_with_trailing_bytes_is_a_bad_request(int extra)
    {
        var payload = Wire.Hex(Wire.HelloIdHex + new string('0', extra * 2));
        var ex = Wire.AssertRefused(ErrorCode.BadRequest, 11, payload, Channel.Peer);
        Assert.Contains("HASHES", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{extra} unexpected bytes", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("00")]
    [InlineData("001000")]
    [InlineData("00100000")]
    [InlineData("00100000 000000")]
    public void HASH_LIST_cut_short_in_its_header_is_a_bad_request(string hex)
    {
        var ex = Wire.AssertRefused(ErrorCode.BadRequest, 12, Wire.Hex(hex), Channel.Peer);
        Assert.Contains("HASH_LIST", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00100000 00000000 00")]
    [InlineData("00100000 00000001" + Wire.HelloIdHex + "00")]
    public void HASH_LIST_with_trailing_bytes_is_a_bad_request(string hex)
    {
        var ex = Wire.AssertRefused(ErrorCode.BadRequest, 12, Wire.Hex(hex), Channel.Peer);
        Assert.Contains("1 unexpected bytes", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(4096u)]
    [InlineData(1_048_575u)]
    [InlineData(1_048_577u)]
    [InlineData(2_097_152u)]
    [InlineData(uint.MaxValue)]
    public void HASH_LIST_with_a_chunk_size_other_than_1_MiB_is_a_bad_request(uint chunkSize)
    {
        // Encodable (the constructor does not judge), but no version-1 receiver accepts it.
        var payload = Wire.Payload(new HashListMessage(chunkSize, Wire.HelloId.ToArray()));
        var ex = Wire.AssertRefused(ErrorCode.BadRequest, 12, payload, Channel.Peer);
        Assert.Contains("HASH_LIST", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"chunk size {chunkSize}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HASH_LIST_with_chunk_size_4096_is_a_bad_request_even_when_empty()
    {
        Wire.AssertRefused(ErrorCode.BadRequest, 12, Wire.Hex("00001000 00000000"), Channel.Peer);
    }

    [Theory]
    [InlineData("00100000 ffffffff")]
    [InlineData("00100000 80000000")]
    [InlineData("00100000 00080000")] // 524,288 digests: more than 16 MiB could ever hold
    [InlineData("00100000 00000001")]
    [InlineData("00100000 00000002" + Wire.HelloIdHex)]
    [InlineData("00100000 ffffffff" + Wire.HelloIdHex + Wire.EmptyIdHex)]
    public void A_HASH_LIST_count_larger_than_the_remaining_bytes_is_a_bad_request_without_allocating(string hex)
    {
        var payload = Wire.Hex(hex);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<ProtocolException>(() => MessageCodec.Decode(12, payload, Channel.Peer));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(ErrorCode.BadRequest, ex.Code);
        Assert.Contains("digest count", ex.Message, StringComparison.Ordinal);
        // An exception with its message and stack trace; nothing sized by the count.
        Assert.True(allocated < 256 * 1024, $"decoding allocated {allocated} bytes");
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0, 32)]
    [InlineData(1, 0)]
    [InlineData(1, 31)]
    [InlineData(1, 33)]
    [InlineData(1, 64)]
    [InlineData(2, 33)]
    [InlineData(2, 63)]
    [InlineData(2, 65)]
    [InlineData(3, 64)]
    [InlineData(3, 97)]
    public void A_HASH_LIST_whose_count_times_32_is_not_the_remaining_bytes_is_a_bad_request(uint count, int digestBytes)
    {
        var payload = new byte[8 + digestBytes];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)Limits.ChunkSize);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), count);

        var ex = Wire.AssertRefused(ErrorCode.BadRequest, 12, payload, Channel.Peer);
        Assert.Contains("HASH_LIST", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_HASH_LIST_whose_count_times_32_is_the_remaining_bytes_decodes(int count)
    {
        var payload = new byte[8 + 32 * count];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)Limits.ChunkSize);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), (uint)count);

        var decoded = Assert.IsType<HashListMessage>(MessageCodec.Decode(12, payload, Channel.Peer));
        Assert.Equal(count, decoded.Count);
    }

    private static int WireStringLength(string value) => 2 + System.Text.Encoding.UTF8.GetByteCount(value);

    private static string EncodeString(string value)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(value);
        return Wire.ToHex([(byte)(bytes.Length >> 8), (byte)bytes.Length]) + Wire.ToHex(bytes);
    }
}
