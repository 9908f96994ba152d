using System.Net.Sockets;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary>
/// Issue 13 item 4: unfinished frames held memory. A payload of more than 4 KiB got a buffer of
/// its full declared length at once, and nothing bounded what such buffers held, so 200
/// connections that each began a 16 MiB REGISTER and stalled after 4 MiB cost the directory
/// 800 MB. Now a payload takes memory as its bytes arrive, charged to the server's
/// <see cref="FrameMemoryBudget"/>, and gives it back when it is done with or its read fails.
/// </summary>
public sealed class UnfinishedFramesHoldMemoryTests : LoopbackTest
{
    private const int MiB = 1024 * 1024;
    private const int Segment = 64 * 1024;

    [Fact]
    public async Task A_stalled_frame_holds_what_arrived_not_what_its_header_announced()
    {
        var budget = new FrameMemoryBudget(32 * MiB, 128 * MiB);
        var connection = new FrameConnection(Receiver, FrameLimits.DirectoryServer(100), budget);
        var read = connection.ReadFrameAsync(Idle, Token).AsTask();

        await Loopback.SendAllAsync(Sender, Header(1, 16 * MiB));
        await Loopback.SendAllAsync(Sender, new byte[MiB]);
        await WaitForAsync(() => budget.BytesHeld >= MiB);

        Assert.InRange(budget.BytesHeld, MiB, MiB + Segment);
        Assert.False(read.IsCompleted);

        // Closing gives it all back at once, though the read is still unwinding.
        connection.Dispose();
        Assert.Equal(0, budget.BytesHeld);
        await Assert.ThrowsAnyAsync<Exception>(() => read);
        Assert.Equal(0, budget.BytesHeld);
    }

    [Fact]
    public async Task Over_the_budget_a_frame_is_refused_with_busy_naming_the_limit_and_the_other_frame_completes()
    {
        var budget = new FrameMemoryBudget(16 * MiB, 16 * MiB);
        using var first = new FrameConnection(Receiver, FrameLimits.DirectoryServer(100), budget);
        var (otherSender, otherReceiver) = await Loopback.ConnectedPairAsync();
        using var _ = otherSender;
        var second = new FrameConnection(otherReceiver, FrameLimits.DirectoryServer(100), budget);
        var payload = new byte[16 * MiB];
        new Random(4).NextBytes(payload);

        var firstRead = first.ReadFrameAsync(Idle, Token).AsTask();
        await Loopback.SendAllAsync(Sender, Header(1, payload.Length));
        await Loopback.SendAllAsync(Sender, payload.AsMemory(0, 10 * MiB));
        await WaitForAsync(() => budget.BytesHeld >= 10 * MiB);

        var secondRead = second.ReadFrameAsync(Idle, Token).AsTask();
        await Loopback.SendAllAsync(otherSender, Header(9, 8 * MiB));
        var sending = SendUntilRefusedAsync(otherSender, 8 * MiB);
        var refused = await Assert.ThrowsAsync<ProtocolException>(() => secondRead);
        second.Dispose();
        await sending;

        Assert.Equal(ErrorCode.Busy, refused.Code);
        Assert.Contains($"limit of {16 * MiB} bytes per address", refused.Message, StringComparison.Ordinal);
        Assert.InRange(budget.BytesHeld, 10 * MiB, 10 * MiB + Segment);

        await Loopback.SendAllAsync(Sender, payload.AsMemory(10 * MiB));
        var frame = await firstRead;
        Assert.True(frame.Payload.Span.SequenceEqual(payload));
        Assert.Equal(16 * MiB, budget.BytesHeld);

        // Held while the frame is being answered, given back at the next read.
        await Loopback.SendAllAsync(Sender, Header(7, 0));
        Assert.Equal(MessageType.Ping, (await first.ReadFrameAsync(Idle, Token)).Type);
        Assert.Equal(0, budget.BytesHeld);
    }

    [Theory]
    [InlineData(4097)]
    [InlineData(Segment - 1)]
    [InlineData(Segment)]
    [InlineData(Segment + 1)]
    [InlineData(300_001)]
    [InlineData(MiB + 3)]
    public async Task A_payload_arrives_whole_at_every_size_and_its_memory_goes_back_at_the_next_read(int length)
    {
        var budget = new FrameMemoryBudget(32 * MiB, 32 * MiB);
        using var connection = new FrameConnection(Receiver, FrameLimits.AnyRole(Channel.Directory), budget);
        var payload = new byte[length];
        new Random(length).NextBytes(payload);

        var read = connection.ReadFrameAsync(Idle, Token).AsTask();
        for (var offset = 0; offset < length; offset += 7000)
        {
            var frame = offset == 0 ? Header(3, length).Concat(payload.Take(7000)).ToArray() : payload.AsMemory(offset, Math.Min(7000, length - offset)).ToArray();
            await Loopback.SendAllAsync(Sender, frame);
        }

        var received = await read;
        Assert.Equal(MessageType.Results, received.Type);
        Assert.True(received.Payload.Span.SequenceEqual(payload));
        Assert.InRange(budget.BytesHeld, length, 2L * length);

        await Loopback.SendAllAsync(Sender, Header(8, 0));
        Assert.Equal(MessageType.Pong, (await connection.ReadFrameAsync(Idle, Token)).Type);
        Assert.Equal(0, budget.BytesHeld);
    }

    [Fact]
    public async Task A_payload_arrives_whole_without_a_budget_too()
    {
        using var connection = new FrameConnection(Receiver, FrameLimits.Downloader);
        var payload = new byte[8 + (32 * 10_000)];
        new Random(2).NextBytes(payload);

        var read = connection.ReadFrameAsync(Idle, Token).AsTask();
        await Loopback.SendAllAsync(Sender, Header(12, payload.Length).Concat(payload).ToArray());

        Assert.True((await read).Payload.Span.SequenceEqual(payload));
    }

    [Fact]
    public async Task A_read_that_ends_in_the_middle_of_a_payload_gives_its_memory_back_at_once()
    {
        var budget = new FrameMemoryBudget(32 * MiB, 32 * MiB);
        using var connection = new FrameConnection(Receiver, FrameLimits.DirectoryServer(100), budget);

        var read = connection.ReadFrameAsync(Idle, Token).AsTask();
        await Loopback.SendAllAsync(Sender, Header(1, MiB));
        await Loopback.SendAllAsync(Sender, new byte[200_000]);
        Sender.Shutdown(SocketShutdown.Send);

        await Assert.ThrowsAsync<EndOfStreamException>(() => read);
        Assert.Equal(0, budget.BytesHeld);
    }

    [Fact]
    public async Task A_payload_that_does_not_complete_in_time_gives_its_memory_back_at_once()
    {
        var budget = new FrameMemoryBudget(32 * MiB, 32 * MiB);
        using var connection = new FrameConnection(Receiver, FrameLimits.DirectoryServer(100), budget) { FrameTimeout = TimeSpan.FromMilliseconds(300) };

        var read = connection.ReadFrameAsync(Idle, Token).AsTask();
        await Loopback.SendAllAsync(Sender, Header(10, MiB));
        await Loopback.SendAllAsync(Sender, new byte[200_000]);

        await Assert.ThrowsAsync<TimeoutException>(() => read);
        Assert.Equal(0, budget.BytesHeld);
    }

    private static byte[] Header(byte type, int length)
    {
        var header = new byte[Limits.FrameHeaderLength];
        new FrameHeader(type, (uint)length).Write(header);
        return header;
    }

    /// <summary>Sends up to <paramref name="count"/> bytes; the receiver may refuse and close before all of them are taken.</summary>
    private static async Task SendUntilRefusedAsync(Socket socket, int count)
    {
        try
        {
            await Loopback.SendAllAsync(socket, new byte[count]);
        }
        catch (SocketException)
        {
            // Closed by the receiver.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Idle, "timed out");
            await Task.Delay(10, Token);
        }
    }
}
