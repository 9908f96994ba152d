using System.Net.Sockets;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary>Frames over a real loopback TCP connection.</summary>
public sealed class FrameConnectionTests : LoopbackTest
{
    private static Message[] Conversation(Channel channel) => channel == Channel.Directory
        ?
        [
            Wire.Sample("REGISTER"),
            Wire.Sample("SEARCH"),
            Wire.Sample("RESULTS"),
            Wire.Sample("ERROR"),
            Wire.Sample("OK"),
            PingMessage.Instance,
            PongMessage.Instance,
            Wire.Sample("ADD"),
            Wire.Sample("REMOVE"),
            Wire.Sample("SEARCH-empty"),
            Wire.Sample("RESULTS-none"),
        ]
        :
        [
            Wire.Sample("GET"),
            Wire.Sample("GET-range"),
            Wire.Sample("DATA"),
            Wire.Sample("ERROR"),
            PingMessage.Instance,
            Wire.Sample("GET-offset"),
            PongMessage.Instance,
        ];

    private static byte[] Concat(IEnumerable<Message> messages) =>
        messages.SelectMany(MessageCodec.EncodeFrame).ToArray();

    private static async Task SendAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, Token);
            data = data[sent..];
        }
    }

    private static async Task<List<Message>> ReadAllAsync(FrameConnection connection, int count)
    {
        var messages = new List<Message>();
        for (var i = 0; i < count; i++)
        {
            var message = await connection.ReadMessageAsync(Idle, Token);
            Assert.NotNull(message);
            messages.Add(message);
        }

        return messages;
    }

    [Theory]
    [InlineData(Channel.Directory)]
    [InlineData(Channel.Peer)]
    public async Task A_stream_sent_one_byte_per_send_decodes(Channel channel)
    {
        var messages = Conversation(channel);
        var bytes = Concat(messages);
        using var connection = new FrameConnection(Receiver, channel);

        var reading = ReadAllAsync(connection, messages.Length);
        for (var i = 0; i < bytes.Length; i++)
        {
            await SendAsync(Sender, bytes.AsMemory(i, 1));
            if (i % 16 == 0)
            {
                // Give the reader a chance to see the partial frame.
                await Task.Yield();
            }
        }

        Assert.Equal(messages, await reading);
        Sender.Shutdown(SocketShutdown.Send);
        Assert.Null(await connection.ReadMessageAsync(Idle, Token));
    }

    [Theory]
    [InlineData(Channel.Directory)]
    [InlineData(Channel.Peer)]
    public async Task A_stream_split_at_every_byte_boundary_decodes(Channel channel)
    {
        var messages = Conversation(channel);
        var bytes = Concat(messages);
        using var connection = new FrameConnection(Receiver, channel);

        for (var split = 1; split < bytes.Length; split++)
        {
            var reading = ReadAllAsync(connection, messages.Length);
            await SendAsync(Sender, bytes.AsMemory(0, split));
            await Task.Delay(split % 8 == 0 ? 1 : 0, Token);
            await SendAsync(Sender, bytes.AsMemory(split));
            Assert.Equal(messages, await reading);
        }
    }

    [Fact]
    public async Task A_payload_larger_than_the_receive_buffer_decodes()
    {
        var files = Enumerable.Range(0, 3000)
            .Select(i => new FileEntry($"folder/file number {i}.dat", (ulong)i, Wire.Id((byte)i)))
            .ToArray();
        var big = new RegisterMessage(3300, files);
        Message[] messages = [PingMessage.Instance, big, Wire.Sample("OK"), big, PongMessage.Instance];
        var bytes = Concat(messages);
        Assert.True(bytes.Length > 2 * 128 * 1024);
        using var connection = new FrameConnection(Receiver, Channel.Directory);

        var reading = ReadAllAsync(connection, 5);
        for (var offset = 0; offset < bytes.Length; offset += 1000)
        {
            await SendAsync(Sender, bytes.AsMemory(offset, Math.Min(1000, bytes.Length - offset)));
        }

        Assert.Equal(messages, await reading);
    }

    [Fact]
    public async Task A_header_with_length_2_pow_31_is_too_large_before_the_payload_arrives()
    {
        using var connection = new FrameConnection(Receiver, Channel.Directory);
        // Only the header is sent: the refusal must not wait for any payload byte.
        await SendAsync(Sender, Wire.Hex("01 80000000"));

        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await connection.ReadMessageAsync(Idle, Token));
        Assert.Equal(ErrorCode.TooLarge, ex.Code);
    }

    [Fact]
    public async Task A_header_just_over_16_MiB_is_too_large()
    {
        using var connection = new FrameConnection(Receiver, Channel.Peer);
        await SendAsync(Sender, Wire.Hex("04 01000001"));

        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await connection.ReadMessageAsync(Idle, Token));
        Assert.Equal(ErrorCode.TooLarge, ex.Code);
    }

    [Fact]
    public async Task A_lower_limit_for_a_type_is_enforced()
    {
        using var connection = new FrameConnection(Receiver, FrameLimits.AnyRole(Channel.Directory).WithMaxPayload(MessageType.Register, 8));
        await SendAsync(Sender, Wire.Hex("06 00000004 00000001 | 01 00000009"));

        Assert.Equal(new OkMessage(1), await connection.ReadMessageAsync(Idle, Token));
        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await connection.ReadMessageAsync(Idle, Token));
        Assert.Equal(ErrorCode.TooLarge, ex.Code);
    }

    [Fact]
    public async Task An_ERROR_text_longer_than_receivers_accept_is_cut_short_by_the_sender()
    {
        using var sender = new FrameConnection(Sender, Channel.Peer);
        using var receiver = new FrameConnection(Receiver, FrameLimits.UploadServer);

        await sender.SendAsync(new ErrorMessage(ErrorCode.Internal, new string('é', 10_000)), Token);
        await sender.SendAsync(new ErrorMessage(ErrorCode.NotFound, "short"), Token);

        var cut = Assert.IsType<ErrorMessage>(await receiver.ReadMessageAsync(Idle, Token));
        Assert.EndsWith("é…", cut.Text, StringComparison.Ordinal);
        Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(cut.Text), FrameLimits.MaxErrorPayload - 4 - 4, FrameLimits.MaxErrorPayload - 4);
        Assert.Equal(new ErrorMessage(ErrorCode.NotFound, "short"), await receiver.ReadMessageAsync(Idle, Token));
    }

    [Fact]
    public async Task A_type_the_role_does_not_receive_is_refused_before_its_payload_arrives()
    {
        using var connection = new FrameConnection(Receiver, FrameLimits.UploadServer);
        // A DATA header sent to an upload server, and no payload: the refusal must not wait for it.
        await SendAsync(Sender, Wire.Hex("04 00000010"));

        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await connection.ReadMessageAsync(Idle, Token));
        Assert.Equal(ErrorCode.BadRequest, ex.Code);
        Assert.Contains("DATA", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_type_is_unsupported()
    {
        using var connection = new FrameConnection(Receiver, Channel.Peer);
        await SendAsync(Sender, Wire.Hex("12 00000000"));

        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await connection.ReadMessageAsync(Idle, Token));
        Assert.Equal(ErrorCode.Unsupported, ex.Code);
    }

    [Fact]
    public async Task A_malformed_payload_is_a_bad_request()
    {
        using var connection = new FrameConnection(Receiver, Channel.Directory);
        await SendAsync(Sender, Wire.Hex("01 00000006 0ce4 ffffffff"));

        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await connection.ReadMessageAsync(Idle, Token));
        Assert.Equal(ErrorCode.BadRequest, ex.Code);
    }

    [Theory]
    [InlineData(1)] // inside the header
    [InlineData(4)]
    [InlineData(5)] // header complete, no payload
    [InlineData(20)] // inside the payload
    public async Task Closing_mid_frame_is_end_of_stream(int sent)
    {
        var frame = MessageCodec.EncodeFrame(Wire.Sample("REGISTER"));
        using var connection = new FrameConnection(Receiver, Channel.Directory);
        await SendAsync(Sender, MessageCodec.EncodeFrame(PingMessage.Instance));
        await SendAsync(Sender, frame.AsMemory(0, sent));
        Sender.Shutdown(SocketShutdown.Send);

        Assert.Equal(PingMessage.Instance, await connection.ReadMessageAsync(Idle, Token));
        await Assert.ThrowsAsync<EndOfStreamException>(async () => await connection.ReadMessageAsync(Idle, Token));
    }

    [Fact]
    public async Task Closing_in_the_middle_of_a_large_payload_is_end_of_stream()
    {
        var payloadLength = 200_000;
        using var connection = new FrameConnection(Receiver, Channel.Directory);
        await SendAsync(Sender, Wire.Hex("01 00030d40"));
        await SendAsync(Sender, new byte[payloadLength / 2]);
        Sender.Shutdown(SocketShutdown.Send);

        await Assert.ThrowsAsync<EndOfStreamException>(async () => await connection.ReadMessageAsync(Idle, Token));
    }

    [Fact]
    public async Task A_clean_close_between_frames_is_null()
    {
        using var connection = new FrameConnection(Receiver, Channel.Directory);
        await SendAsync(Sender, Concat([PingMessage.Instance, new OkMessage(3)]));
        Sender.Shutdown(SocketShutdown.Send);

        Assert.Equal(PingMessage.Instance, await connection.ReadMessageAsync(Idle, Token));
        Assert.Equal(new OkMessage(3), await connection.ReadMessageAsync(Idle, Token));
        Assert.Null(await connection.ReadMessageAsync(Idle, Token));
    }

    [Fact]
    public async Task A_clean_close_before_any_frame_is_null()
    {
        using var connection = new FrameConnection(Receiver, Channel.Peer);
        Sender.Shutdown(SocketShutdown.Send);
        Assert.Null(await connection.ReadMessageAsync(Idle, Token));
    }

    [Fact]
    public async Task ReadRawAsync_after_DATA_returns_the_bytes_that_followed_including_buffered_ones()
    {
        var file = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();
        using var connection = new FrameConnection(Receiver, Channel.Peer);

        // The DATA frame, the first 1000 raw bytes and nothing else arrive together, so the frame
        // reader buffers raw bytes; the rest arrives later, followed by another frame.
        var first = Concat([new DataMessage(0, (ulong)file.Length)]).Concat(file[..1000]).ToArray();
        await SendAsync(Sender, first);

        var data = Assert.IsType<DataMessage>(await connection.ReadMessageAsync(Idle, Token));
        Assert.Equal(new DataMessage(0, 5000), data);

        var sendRest = Task.Run(async () =>
        {
            await Task.Delay(50, Token);
            await SendAsync(Sender, file.AsMemory(1000));
            await SendAsync(Sender, MessageCodec.EncodeFrame(PingMessage.Instance));
        }, Token);

        var received = new byte[file.Length];
        var filled = 0;
        while (filled < received.Length)
        {
            // Small reads, so some are served from the buffer and some from the socket.
            var want = Math.Min(333, received.Length - filled);
            var read = await connection.ReadRawAsync(received.AsMemory(filled, want), Idle, Token);
            Assert.True(read > 0);
            filled += read;
        }

        await sendRest;
        Assert.Equal(file, received);
        Assert.Equal(PingMessage.Instance, await connection.ReadMessageAsync(Idle, Token));
    }

    [Fact]
    public async Task ReadRawAsync_returns_buffered_bytes_and_then_the_next_frame_decodes()
    {
        using var connection = new FrameConnection(Receiver, Channel.Peer);
        var all = Concat([new DataMessage(10, 3)]).Concat(new byte[] { 0xaa, 0xbb, 0xcc })
            .Concat(MessageCodec.EncodeFrame(new ErrorMessage(ErrorCode.NotFound, "gone"))).ToArray();
        await SendAsync(Sender, all);

        Assert.Equal(new DataMessage(10, 3), await connection.ReadMessageAsync(Idle, Token));
        var raw = new byte[3];
        var filled = 0;
        while (filled < 3)
        {
            filled += await connection.ReadRawAsync(raw.AsMemory(filled), Idle, Token);
        }

        Assert.Equal(new byte[] { 0xaa, 0xbb, 0xcc }, raw);
        Assert.Equal(new ErrorMessage(ErrorCode.NotFound, "gone"), await connection.ReadMessageAsync(Idle, Token));
    }

    [Fact]
    public async Task ReadRawAsync_returns_0_when_the_connection_closed()
    {
        using var connection = new FrameConnection(Receiver, Channel.Peer);
        Sender.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await connection.ReadRawAsync(new byte[10], Idle, Token));
    }

    [Fact]
    public async Task A_frame_that_does_not_complete_in_time_times_out()
    {
        using var connection = new FrameConnection(Receiver, Channel.Directory) { FrameTimeout = TimeSpan.FromMilliseconds(200) };
        await SendAsync(Sender, Wire.Hex("01 00000006 0ce4"));

        await Assert.ThrowsAsync<TimeoutException>(async () => await connection.ReadMessageAsync(Idle, Token));
    }

    [Fact]
    public async Task No_frame_within_the_idle_timeout_times_out()
    {
        using var connection = new FrameConnection(Receiver, Channel.Directory);
        await Assert.ThrowsAsync<TimeoutException>(async () => await connection.ReadMessageAsync(TimeSpan.FromMilliseconds(100), Token));
    }

    [Fact]
    public async Task SendAsync_and_ReadMessageAsync_talk_to_each_other()
    {
        using var client = new FrameConnection(Sender, Channel.Directory);
        using var server = new FrameConnection(Receiver, Channel.Directory);

        var messages = Conversation(Channel.Directory);
        var sending = Task.WhenAll(messages.Select(m => client.SendAsync(m, Token).AsTask()));
        var received = await ReadAllAsync(server, messages.Length);
        await sending;

        // Concurrent sends may interleave in any order, but never inside a frame.
        Assert.Equal(messages.Length, received.Count);
        Assert.All(messages, m => Assert.Contains(m, received));
    }

    [Fact]
    public async Task TrySendErrorAsync_sends_an_ERROR_frame()
    {
        using var client = new FrameConnection(Sender, Channel.Peer);
        using var server = new FrameConnection(Receiver, Channel.Peer);

        await server.TrySendErrorAsync(ErrorCode.BadRequest, "bad things");
        Assert.Equal(new ErrorMessage(ErrorCode.BadRequest, "bad things"), await client.ReadMessageAsync(Idle, Token));
    }
}
