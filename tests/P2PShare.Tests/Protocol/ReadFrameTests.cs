using System.Net.Sockets;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary><see cref="FrameConnection.ReadFrameAsync"/> and the sends, over a real loopback connection.</summary>
public sealed class ReadFrameTests : LoopbackTest
{
    private static readonly Message[] Conversation =
    [
        Wire.Sample("REGISTER"), Wire.Sample("SEARCH"), Wire.Sample("RESULTS"), Wire.Sample("ERROR"),
        Wire.Sample("OK"), PingMessage.Instance, PongMessage.Instance, Wire.Sample("ADD"), Wire.Sample("REMOVE"),
        Wire.Sample("SEARCH-empty"), Wire.Sample("RESULTS-none"),
    ];

    private static byte[] Concat(IEnumerable<Message> messages) => messages.SelectMany(MessageCodec.EncodeFrame).ToArray();

    /// <summary>Reads <paramref name="count"/> frames and returns each as its whole frame bytes, copied before the next read.</summary>
    private static async Task<List<byte[]>> ReadFramesAsync(FrameConnection connection, int count)
    {
        var frames = new List<byte[]>();
        for (var i = 0; i < count; i++)
        {
            var frame = await connection.ReadFrameAsync(Idle, Token);
            Assert.False(frame.IsEndOfStream);
            var bytes = new byte[Limits.FrameHeaderLength + frame.Payload.Length];
            new FrameHeader((byte)frame.Type, (uint)frame.Payload.Length).Write(bytes);
            frame.Payload.Span.CopyTo(bytes.AsSpan(Limits.FrameHeaderLength));
            frames.Add(bytes);
        }

        return frames;
    }

    [Fact]
    public async Task Frames_sent_one_byte_at_a_time_come_back_whole()
    {
        using var connection = new FrameConnection(Receiver, Channel.Directory);
        var bytes = Concat(Conversation);

        var reading = ReadFramesAsync(connection, Conversation.Length);
        for (var i = 0; i < bytes.Length; i++)
        {
            await Loopback.SendAllAsync(Sender, bytes.AsMemory(i, 1));
            if (i % 16 == 0)
            {
                await Task.Yield();
            }
        }

        Assert.Equal(Conversation.Select(MessageCodec.EncodeFrame), await reading);
        Sender.Shutdown(SocketShutdown.Send);
        Assert.True((await connection.ReadFrameAsync(Idle, Token)).IsEndOfStream);
    }

    [Fact]
    public async Task Frames_split_at_every_byte_boundary_come_back_whole()
    {
        using var connection = new FrameConnection(Receiver, Channel.Directory);
        Message[] messages = [Wire.Sample("SEARCH"), PingMessage.Instance, Wire.Sample("OK"), Wire.Sample("REMOVE")];
        var bytes = Concat(messages);

        for (var split = 1; split < bytes.Length; split++)
        {
            var reading = ReadFramesAsync(connection, messages.Length);
            await Loopback.SendAllAsync(Sender, bytes.AsMemory(0, split));
            await Task.Delay(split % 8 == 0 ? 1 : 0, Token);
            await Loopback.SendAllAsync(Sender, bytes.AsMemory(split));
            Assert.Equal(messages.Select(MessageCodec.EncodeFrame), await reading);
        }
    }

    [Fact]
    public async Task A_payload_larger_than_the_buffer_comes_back_whole_between_small_frames()
    {
        var files = Enumerable.Range(0, 4000)
            .Select(i => new FileEntry($"folder/file number {i}.dat", (ulong)i, Wire.Id((byte)i)))
            .ToArray();
        var big = new RegisterMessage(3300, files);
        Message[] messages = [PingMessage.Instance, big, Wire.Sample("OK"), big, big, PongMessage.Instance];
        var bytes = Concat(messages);
        Assert.True(MessageCodec.GetPayloadLength(big) > 128 * 1024);
        using var connection = new FrameConnection(Receiver, Channel.Directory);

        var reading = ReadFramesAsync(connection, messages.Length);
        for (var offset = 0; offset < bytes.Length; offset += 7000)
        {
            await Loopback.SendAllAsync(Sender, bytes.AsMemory(offset, Math.Min(7000, bytes.Length - offset)));
        }

        Assert.Equal(messages.Select(MessageCodec.EncodeFrame), await reading);
    }

    [Fact]
    public async Task A_large_payload_reads_back_as_a_view()
    {
        var files = Enumerable.Range(0, 3000).Select(i => new FileEntry($"f/{i}", (ulong)i, Wire.Id((byte)i))).ToArray();
        await Loopback.SendAllAsync(Sender, MessageCodec.EncodeFrame(new AddMessage(files)));
        using var connection = new FrameConnection(Receiver, Channel.Directory);

        var frame = await connection.ReadFrameAsync(Idle, Token);
        Assert.Equal(MessageType.Add, frame.Type);
        var view = AddView.Parse(frame.Payload.Span);
        Assert.Equal(3000, view.Count);
        var i = 0;
        foreach (var entry in view.Files)
        {
            Assert.Equal((ulong)i++, entry.Size);
        }
    }

    [Fact]
    public async Task The_header_is_refused_before_the_payload_arrives()
    {
        using var connection = new FrameConnection(Receiver, Channel.Directory);
        await Loopback.SendAllAsync(Sender, Wire.Hex("01 80000000"));
        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await connection.ReadFrameAsync(Idle, Token));
        Assert.Equal(ErrorCode.TooLarge, ex.Code);
    }

    [Fact]
    public async Task A_lower_limit_for_a_type_and_an_unknown_type_are_refused()
    {
        using var connection = new FrameConnection(Receiver, FrameLimits.AnyRole(Channel.Directory).WithMaxPayload(MessageType.Register, 100));
        await Loopback.SendAllAsync(Sender, Wire.Hex("07 00000000 | 01 00000065"));
        Assert.Equal(MessageType.Ping, (await connection.ReadFrameAsync(Idle, Token)).Type);
        var ex = await Assert.ThrowsAsync<ProtocolException>(async () => await connection.ReadFrameAsync(Idle, Token));
        Assert.Equal(ErrorCode.TooLarge, ex.Code);

        var (client, server) = await Loopback.ConnectedPairAsync();
        using var other = new FrameConnection(server, Channel.Peer);
        using var _ = client;
        await Loopback.SendAllAsync(client, Wire.Hex("12 00000000"));
        ex = await Assert.ThrowsAsync<ProtocolException>(async () => await other.ReadFrameAsync(Idle, Token));
        Assert.Equal(ErrorCode.Unsupported, ex.Code);
    }

    [Fact]
    public async Task The_payload_is_not_checked_by_the_reader()
    {
        // Checking is the parser's job: a malformed payload comes back as it is.
        using var connection = new FrameConnection(Receiver, Channel.Directory);
        await Loopback.SendAllAsync(Sender, Wire.Hex("07 00000002 abcd"));
        var frame = await connection.ReadFrameAsync(Idle, Token);
        Assert.Equal(Wire.Hex("abcd"), frame.Payload.ToArray());
        Assert.Throws<ProtocolException>(() => MessageCodec.Validate((byte)frame.Type, frame.Payload.Span, Channel.Directory));
    }

    [Theory]
    [InlineData("01")]
    [InlineData("01 000000")]
    [InlineData("06 00000004 0000")]
    public async Task Closing_mid_frame_is_end_of_stream(string hex)
    {
        using var connection = new FrameConnection(Receiver, Channel.Directory);
        await Loopback.SendAllAsync(Sender, Wire.Hex(hex));
        Sender.Shutdown(SocketShutdown.Send);
        await Assert.ThrowsAsync<EndOfStreamException>(async () => await connection.ReadFrameAsync(Idle, Token));
    }

    [Fact]
    public async Task Closing_mid_way_through_a_large_payload_is_end_of_stream()
    {
        using var connection = new FrameConnection(Receiver, Channel.Directory);
        await Loopback.SendAllAsync(Sender, Wire.Hex("09 00030000"));
        await Loopback.SendAllAsync(Sender, new byte[100_000]);
        Sender.Shutdown(SocketShutdown.Send);
        await Assert.ThrowsAsync<EndOfStreamException>(async () => await connection.ReadFrameAsync(Idle, Token));
    }

    [Fact]
    public async Task A_clean_close_before_any_frame_is_end_of_stream()
    {
        using var connection = new FrameConnection(Receiver, Channel.Peer);
        Sender.Shutdown(SocketShutdown.Send);
        Assert.True((await connection.ReadFrameAsync(Idle, Token)).IsEndOfStream);
        Assert.Equal(default, ReceivedFrame.EndOfStream.Type);
    }

    [Fact]
    public async Task An_idle_timeout_is_a_TimeoutException_and_the_connection_can_read_on()
    {
        using var connection = new FrameConnection(Receiver, Channel.Peer);
        var ex = await Assert.ThrowsAsync<TimeoutException>(async () => await connection.ReadFrameAsync(TimeSpan.FromMilliseconds(100), Token));
        Assert.Contains("idle", ex.Message, StringComparison.Ordinal);

        // The deadline that fired is replaced: the next reads have their own.
        await Loopback.SendAllAsync(Sender, MessageCodec.EncodeFrame(new DataMessage(1, 2)));
        Assert.Equal(new DataHeader(1, 2), DataHeader.Parse((await connection.ReadFrameAsync(TimeSpan.FromSeconds(10), Token)).Payload.Span));
        await Assert.ThrowsAsync<TimeoutException>(async () => await connection.ReadFrameAsync(TimeSpan.FromMilliseconds(50), Token));
    }

    [Fact]
    public async Task A_frame_that_does_not_complete_in_time_is_a_TimeoutException()
    {
        using var connection = new FrameConnection(Receiver, Channel.Directory) { FrameTimeout = TimeSpan.FromMilliseconds(200) };
        await Loopback.SendAllAsync(Sender, Wire.Hex("01 00000006 0ce4"));
        var ex = await Assert.ThrowsAsync<TimeoutException>(async () => await connection.ReadFrameAsync(Timeout.InfiniteTimeSpan, Token));
        Assert.Contains("did not complete", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_callers_cancellation_is_a_cancellation_not_a_timeout()
    {
        using var connection = new FrameConnection(Receiver, Channel.Peer);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cancel.CancelAfter(100);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await connection.ReadFrameAsync(Idle, cancel.Token));

        // Mid-frame too.
        using var cancelMidFrame = CancellationTokenSource.CreateLinkedTokenSource(Token);
        await Loopback.SendAllAsync(Sender, Wire.Hex("06 00000004 00"));
        cancelMidFrame.CancelAfter(100);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await connection.ReadFrameAsync(Idle, cancelMidFrame.Token));
    }

    [Fact]
    public async Task Many_frames_under_time_limits_read_without_spurious_timeouts()
    {
        using var client = new FrameConnection(Sender, Channel.Peer) { FrameTimeout = TimeSpan.FromSeconds(10) };
        using var server = new FrameConnection(Receiver, Channel.Peer) { FrameTimeout = TimeSpan.FromSeconds(10) };
        var frame = new byte[DataHeader.FrameLength];
        const int Count = 2000;

        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < Count; i++)
            {
                var length = FrameWriter.WriteDataHeader(frame, (ulong)i, 1);
                await client.SendRawAsync(frame.AsMemory(0, length), Token);
                await client.SendRawAsync(new byte[] { (byte)i }, Token);
            }
        }, Token);

        var raw = new byte[1];
        for (var i = 0; i < Count; i++)
        {
            var header = DataHeader.Parse((await server.ReadFrameAsync(Idle, Token)).Payload.Span);
            Assert.Equal((ulong)i, header.Offset);
            Assert.Equal(1, await server.ReadRawAsync(raw, Idle, Token));
            Assert.Equal((byte)i, raw[0]);
        }

        await sending;
    }

    [Fact]
    public async Task Concurrent_raw_sends_never_interleave_inside_a_frame()
    {
        using var client = new FrameConnection(Sender, Channel.Directory);
        using var server = new FrameConnection(Receiver, Channel.Directory);
        const int Senders = 8;
        const int PerSender = 200;

        var sending = Task.WhenAll(Enumerable.Range(0, Senders).Select(s => Task.Run(async () =>
        {
            var buffer = new byte[FrameWriter.MeasureSearch(new string((char)('a' + s), 3000))];
            for (var i = 0; i < PerSender; i++)
            {
                var length = FrameWriter.WriteSearch(buffer, new string((char)('a' + s), 3000));
                await client.SendRawAsync(buffer.AsMemory(0, length), Token);
            }
        }, Token)));

        var counts = new int[Senders];
        for (var i = 0; i < Senders * PerSender; i++)
        {
            var frame = await server.ReadFrameAsync(Idle, Token);
            var query = SearchView.Parse(frame.Payload.Span).QueryUtf8;
            Assert.Equal(3000, query.Length);
            Assert.True(query.IndexOfAnyExcept(query[0]) < 0);
            counts[query[0] - 'a']++;
        }

        await sending;
        Assert.All(counts, c => Assert.Equal(PerSender, c));
    }

    [Fact]
    public async Task A_send_the_other_side_does_not_take_is_a_TimeoutException()
    {
        using var client = new FrameConnection(Sender, Channel.Peer) { FrameTimeout = TimeSpan.FromMilliseconds(300) };
        var big = new byte[64 * 1024 * 1024];
        await Assert.ThrowsAsync<TimeoutException>(async () => await client.SendRawAsync(big, Token));
    }

    [Fact]
    public async Task ReadMessageAsync_still_decodes_after_ReadFrameAsync()
    {
        using var connection = new FrameConnection(Receiver, Channel.Peer);
        Message[] messages = [Wire.Sample("GET-range"), Wire.Sample("HASH_LIST"), Wire.Sample("GET")];
        await Loopback.SendAllAsync(Sender, Concat(messages));

        var first = await connection.ReadFrameAsync(Idle, Token);
        Assert.Equal(messages[0], GetView.Parse(first.Payload.Span).ToMessage());
        Assert.Equal(messages[1], await connection.ReadMessageAsync(Idle, Token));
        Assert.Equal(messages[2], await connection.ReadMessageAsync(Idle, Token));
    }
}
