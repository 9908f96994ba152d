using System.Buffers;
using System.Text;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary>The allocation-free encoders write exactly the bytes of the message encoder.</summary>
public class FrameWriterTests
{
    private static readonly string[] Names =
    [
        "a", "hello.txt", "dir/sub/file.bin", "ünïcödé/файл.txt", "emoji 😀.png", new string('n', 1024),
        string.Concat(Enumerable.Repeat("€", 341)) + "a",
    ];

    private static readonly (ulong Offset, ulong Length, ContentId Id)[] Ranges =
    [
        (0, 0, default), (1, 0, default), (0, 7, default), (0, 0, Wire.HelloId), (1, 3, Wire.HelloId),
        (7 * 1024 * 1024, 1024 * 1024, Wire.Id(9)), (ulong.MaxValue, ulong.MaxValue, Wire.EmptyId),
    ];

    private static readonly string[] Texts = ["", "hello txt", "Grüße 日本", "\uFEFFa", new string('x', 65535)];

    [Fact]
    public void GET_from_a_string_or_UTF8_is_the_bytes_of_GetMessage()
    {
        var buffer = new byte[2000];
        foreach (var name in Names)
        {
            foreach (var (offset, length, id) in Ranges)
            {
                var expected = MessageCodec.EncodeFrame(new GetMessage(name, offset, length, id));
                Assert.Equal(expected.Length, FrameWriter.MeasureGet(name, offset, length, id));

                var written = FrameWriter.WriteGet(buffer, name, offset, length, id);
                Assert.Equal(expected, buffer[..written]);

                var utf8 = Encoding.UTF8.GetBytes(name);
                Assert.Equal(expected.Length, FrameWriter.MeasureGet(utf8, offset, length, id));
                Array.Clear(buffer);
                written = FrameWriter.WriteGet(buffer, utf8, offset, length, id);
                Assert.Equal(expected, buffer[..written]);

                var output = new ArrayBufferWriter<byte>();
                FrameWriter.WriteGet(output, name, offset, length, id);
                FrameWriter.WriteGet(output, utf8, offset, length, id);
                Assert.Equal(expected.Concat(expected), output.WrittenSpan.ToArray());
            }
        }
    }

    [Fact]
    public void SEARCH_and_ERROR_are_the_bytes_of_their_messages()
    {
        var buffer = new byte[70_000];
        foreach (var text in Texts)
        {
            var search = MessageCodec.EncodeFrame(new SearchMessage(text));
            Assert.Equal(search.Length, FrameWriter.MeasureSearch(text));
            Assert.Equal(search, buffer[..FrameWriter.WriteSearch(buffer, text)]);
            Assert.Equal(search, buffer[..FrameWriter.WriteSearch(buffer, Encoding.UTF8.GetBytes(text))]);

            foreach (var code in new[] { ErrorCode.BadRequest, ErrorCode.Internal, (ErrorCode)65535 })
            {
                var error = MessageCodec.EncodeFrame(new ErrorMessage(code, text));
                Assert.Equal(error.Length, FrameWriter.MeasureError(text));
                Assert.Equal(error.Length, FrameWriter.MeasureError(Encoding.UTF8.GetBytes(text)));
                Assert.Equal(error, buffer[..FrameWriter.WriteError(buffer, code, text)]);
                Assert.Equal(error, buffer[..FrameWriter.WriteError(buffer, code, Encoding.UTF8.GetBytes(text))]);
            }
        }

        var output = new ArrayBufferWriter<byte>();
        FrameWriter.WriteSearch(output, "a b");
        FrameWriter.WriteError(output, ErrorCode.NotFound, "no");
        Assert.Equal(
            MessageCodec.EncodeFrame(new SearchMessage("a b")).Concat(MessageCodec.EncodeFrame(new ErrorMessage(ErrorCode.NotFound, "no"))),
            output.WrittenSpan.ToArray());
    }

    [Fact]
    public void The_fixed_size_frames_are_the_bytes_of_their_messages()
    {
        var buffer = new byte[64];
        foreach (var (offset, length, id) in Ranges)
        {
            Assert.Equal(MessageCodec.EncodeFrame(new DataMessage(offset, length)), buffer[..FrameWriter.WriteDataHeader(buffer, offset, length)]);
            Assert.Equal(MessageCodec.EncodeFrame(new HashesMessage(id)), buffer[..FrameWriter.WriteHashes(buffer, id)]);
            Assert.Equal(MessageCodec.EncodeFrame(new OkMessage((uint)offset)), buffer[..FrameWriter.WriteOk(buffer, (uint)offset)]);
        }

        Assert.Equal(MessageCodec.EncodeFrame(PingMessage.Instance), buffer[..FrameWriter.WritePing(buffer)]);
        Assert.Equal(MessageCodec.EncodeFrame(PongMessage.Instance), buffer[..FrameWriter.WritePong(buffer)]);
        Assert.Equal(21, FrameWriter.DataHeaderFrameLength);
        Assert.Equal(9, FrameWriter.OkFrameLength);
        Assert.Equal(37, FrameWriter.HashesFrameLength);

        var output = new ArrayBufferWriter<byte>();
        FrameWriter.WriteDataHeader(output, 1, 3);
        FrameWriter.WriteOk(output, 1);
        FrameWriter.WriteHashes(output, Wire.HelloId);
        Assert.Equal(
            new Message[] { new DataMessage(1, 3), new OkMessage(1), new HashesMessage(Wire.HelloId) }.SelectMany(MessageCodec.EncodeFrame),
            output.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData("HASH_LIST")]
    [InlineData("HASH_LIST-one")]
    [InlineData("HASH_LIST-none")]
    public void HASH_LIST_is_the_bytes_of_HashListMessage(string sample)
    {
        var message = (HashListMessage)Wire.Sample(sample);
        var expected = MessageCodec.EncodeFrame(message);
        var buffer = new byte[200];
        Assert.Equal(expected.Length, FrameWriter.MeasureHashList(message.Digests));
        Assert.Equal(expected, buffer[..FrameWriter.WriteHashList(buffer, message.Digests)]);
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteHashList(buffer, new byte[33]));
    }

    [Fact]
    public void A_HASH_LIST_over_the_frame_limit_is_too_large()
    {
        var ex = Assert.Throws<ProtocolException>(() => FrameWriter.MeasureHashList(new byte[524_288 * Limits.IdLength]));
        Assert.Equal(ErrorCode.TooLarge, ex.Code);
        Assert.Equal(Limits.FrameHeaderLength + Limits.MaxControlPayload - 24, FrameWriter.MeasureHashList(new byte[524_287 * Limits.IdLength]));
    }

    [Fact]
    public void The_DATA_header_is_the_example_of_the_specification()
    {
        var buffer = new byte[DataHeader.FrameLength];
        new DataHeader(0, 5).WriteFrame(buffer);
        Assert.Equal(Wire.Hex("04 00000010 0000000000000000 0000000000000005"), buffer);
    }

    [Fact]
    public void A_destination_too_small_is_an_argument_error_and_nothing_is_written()
    {
        var small = new byte[20];
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteDataHeader(small, 1, 2));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteGet(small, "hello.txt", 1, 2, Wire.HelloId));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteOk(new byte[8], 1));
        Assert.Throws<ArgumentException>(() => FrameWriter.WritePing([]));
        Assert.All(small, b => Assert.Equal(0, b));
    }

    [Fact]
    public void A_string_over_65535_bytes_cannot_be_written()
    {
        var text = new string('x', 65536);
        var buffer = new byte[70_000];
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteSearch(buffer, text));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteError(buffer, ErrorCode.Internal, Encoding.UTF8.GetBytes(text)));
    }
}
