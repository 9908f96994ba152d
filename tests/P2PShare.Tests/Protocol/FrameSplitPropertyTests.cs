using System.Diagnostics;
using System.Net.Sockets;
using CsCheck;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary>
/// Properties of <see cref="FrameConnection"/>'s reading over a real loopback connection, with
/// generated conversations split at generated points (CsCheck): every frame comes back whole and
/// decodes to what was sent, the raw bytes after DATA included; and any bytes end in frames, the
/// codec's error, or the end of the stream, never in another exception or a wait.
/// </summary>
public class FrameSplitPropertyTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(10);

    /// <summary>One frame of a conversation and, after a DATA header, its raw bytes.</summary>
    private static readonly Gen<(Message Message, byte[] Raw)> PeerItem =
        Gen.Select(MessageGenerators.PeerMessage, Gen.Byte.Array[0, 40], (message, raw) => message is DataMessage data
            ? (new DataMessage(data.Offset, (ulong)raw.Length), raw)
            : (message, Array.Empty<byte>()));

    private static readonly Gen<(Channel Channel, (Message Message, byte[] Raw)[] Items)> Conversation = Gen.OneOf(
        MessageGenerators.DirectoryMessage.Select(m => (m, Array.Empty<byte>())).Array[1, 6].Select(items => (Channel.Directory, items)),
        PeerItem.Array[1, 6].Select(items => (Channel.Peer, items)));

    /// <summary>The sizes of the first pieces the stream is sent in (the rest goes at once).</summary>
    private static readonly Gen<int[]> Pieces = Gen.Frequency(
        (3, Gen.Int[1, 8].Array[1, 24]),
        (2, Gen.Int[1, 5000].Array[1, 8]),
        (1, Gen.Const(Array.Empty<int>())));

    private static byte[] Encode((Message Message, byte[] Raw)[] items) =>
        items.SelectMany(item => MessageCodec.EncodeFrame(item.Message).Concat(item.Raw)).ToArray();

    [Fact]
    public async Task Frames_split_at_any_points_read_back_whole_and_decode_to_what_was_sent()
    {
        await Gen.Select(Conversation, Pieces).SampleAsync(async (conversation, pieces) =>
        {
            var (channel, items) = conversation;
            var (sender, receiver) = await Loopback.ConnectedPairAsync();
            using (sender)
            using (var connection = new FrameConnection(receiver, channel))
            {
                var reading = ReadConversationAsync(connection, channel, items);
                await SendInPiecesAsync(sender, receiver, Encode(items), pieces, reading);
                await reading.WaitAsync(Idle, TestContext.Current.CancellationToken);
            }
        }, iter: 60, print: t => $"{t.Item1.Channel}: {string.Join(", ", t.Item1.Items.Select(i => i.Message.Name))} in pieces {string.Join(",", t.Item2)}");
    }

    [Fact]
    public async Task Any_bytes_split_at_any_points_read_as_frames_or_fail_with_the_codecs_error()
    {
        var gen =
            from conversation in Conversation
            from mutations in MessageGenerators.Mutation.Array[1, 4]
            from pieces in Pieces
            select (conversation.Channel, Bytes: MessageGenerators.Mutate(Encode(conversation.Items), mutations), pieces);
        await gen.SampleAsync(async sample =>
        {
            var (sender, receiver) = await Loopback.ConnectedPairAsync();
            using (sender)
            using (var connection = new FrameConnection(receiver, sample.Channel))
            {
                var reading = ReadAnythingAsync(connection, sample.Channel);
                await SendInPiecesAsync(sender, receiver, sample.Bytes, sample.pieces, reading);
                await reading.WaitAsync(Idle, TestContext.Current.CancellationToken);
            }
        }, iter: 60, print: s => $"{s.Channel}: {Wire.ToHex(s.Bytes.AsSpan(0, Math.Min(96, s.Bytes.Length)))} ({s.Bytes.Length} bytes) in pieces {string.Join(",", s.pieces)}");
    }

    private static async Task ReadConversationAsync(FrameConnection connection, Channel channel, (Message Message, byte[] Raw)[] items)
    {
        var raw = new byte[64];
        foreach (var (message, expectedRaw) in items)
        {
            var frame = await connection.ReadFrameAsync(Idle, TestContext.Current.CancellationToken);
            Assert.False(frame.IsEndOfStream);
            Assert.Equal(message.Type, frame.Type);
            Assert.Equal(MessageCodec.EncodeFrame(message)[Limits.FrameHeaderLength..], frame.Payload.ToArray());
            Assert.Equal(message, MessageCodec.Decode((byte)frame.Type, frame.Payload.Span, channel));

            var read = 0;
            while (read < expectedRaw.Length)
            {
                var n = await connection.ReadRawAsync(raw.AsMemory(read, expectedRaw.Length - read), Idle, TestContext.Current.CancellationToken);
                Assert.NotEqual(0, n);
                read += n;
            }

            Assert.Equal(expectedRaw, raw[..read]);
        }

        Assert.True((await connection.ReadFrameAsync(Idle, TestContext.Current.CancellationToken)).IsEndOfStream);
    }

    /// <summary>Reads as a server does: frames until the end, the first refused frame or payload, or a frame cut off by the end.</summary>
    private static async Task ReadAnythingAsync(FrameConnection connection, Channel channel)
    {
        try
        {
            while (true)
            {
                var frame = await connection.ReadFrameAsync(Idle, TestContext.Current.CancellationToken);
                if (frame.IsEndOfStream)
                {
                    return;
                }

                try
                {
                    MessageCodec.Decode((byte)frame.Type, frame.Payload.Span, channel);
                }
                catch (ProtocolException refused)
                {
                    Assert.Equal(ErrorCode.BadRequest, refused.Code);
                    return;
                }
            }
        }
        catch (ProtocolException refused)
        {
            // The header: too long or an unknown type.
            Assert.Contains(refused.Code, new[] { ErrorCode.TooLarge, ErrorCode.Unsupported });
        }
        catch (EndOfStreamException)
        {
            // The stream ended inside a frame.
        }
    }

    /// <summary>
    /// Sends the first pieces one at a time, each once the reader has taken the one before (so
    /// the reader sees the stream cut at those points), then the rest, then closes the sending side.
    /// </summary>
    private static async Task SendInPiecesAsync(Socket sender, Socket receiver, byte[] bytes, int[] pieces, Task reading)
    {
        var offset = 0;
        try
        {
            foreach (var piece in pieces)
            {
                if (offset >= bytes.Length || reading.IsCompleted)
                {
                    break;
                }

                var length = Math.Min(piece, bytes.Length - offset);
                await Loopback.SendAllAsync(sender, bytes.AsMemory(offset, length));
                offset += length;
                var waited = Stopwatch.StartNew();
                while (receiver.Available > 0 && !reading.IsCompleted && waited.Elapsed < Idle)
                {
                    await Task.Yield();
                }
            }

            await Loopback.SendAllAsync(sender, bytes.AsMemory(offset));
            sender.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException && reading.IsCompleted)
        {
            // The reader stopped at a refused frame and closed its end.
        }
    }
}
