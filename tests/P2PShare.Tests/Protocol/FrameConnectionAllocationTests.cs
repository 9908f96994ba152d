using System.Diagnostics;
using System.Reflection;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary>Runs alone, so that the process-wide allocation count is this test's.</summary>
[CollectionDefinition(nameof(AllocationMeasurementCollection), DisableParallelization = true)]
public sealed class AllocationMeasurementCollection;

/// <summary>
/// A request/answer loop over <see cref="FrameConnection"/> (GET in, DATA header and bytes out, with
/// the default time limits and a cancellable token) allocates nothing per frame once warm.
/// </summary>
[Collection(nameof(AllocationMeasurementCollection))]
public sealed class FrameConnectionAllocationTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_request_and_answer_loop_does_not_allocate_per_frame()
    {
        // A debug build compiles every async method's state machine as a class, one per call:
        // the figure only means something for optimized code (dotnet test -c Release).
        var debuggable = typeof(FrameConnection).Assembly.GetCustomAttribute<DebuggableAttribute>();
        Assert.SkipWhen(debuggable?.IsJITOptimizerDisabled == true, "P2PShare.Protocol is a debug build; run with -c Release");

        var token = TestContext.Current.CancellationToken;
        var (clientSocket, serverSocket) = await Loopback.ConnectedPairAsync();
        using var client = new FrameConnection(clientSocket, Channel.Peer);
        using var server = new FrameConnection(serverSocket, Channel.Peer);
        var request = new byte[256];
        var answer = new byte[256];
        var raw = new byte[100];

        await RoundTripsAsync(client, server, request, answer, raw, 2000, token);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        const int Count = 20_000;
        await RoundTripsAsync(client, server, request, answer, raw, Count, token);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        TestContext.Current.SendDiagnosticMessage($"{allocated} bytes allocated in {Count} round trips");
        // Four frame operations per round trip: one allocation on any of them, even of the
        // smallest object (24 bytes), would exceed this. What stays under it is whatever the
        // runtime and the test host do on other threads meanwhile (a few bytes a round trip).
        Assert.True(allocated < Count * 24L, $"{allocated} bytes allocated in {Count} round trips");
    }

    private static async Task RoundTripsAsync(FrameConnection client, FrameConnection server, byte[] request, byte[] answer, byte[] raw, int count, CancellationToken token)
    {
        var serving = ServeAsync(server, answer, raw, count, token);
        for (var i = 0; i < count; i++)
        {
            var length = FrameWriter.WriteGet(request, "music/some artist/track 07.flac"u8, (ulong)i << 20, 100, Wire.HelloId);
            await client.SendRawAsync(request.AsMemory(0, length), token);
            var frame = await client.ReadFrameAsync(Idle, token);
            var data = DataHeader.Parse(frame.Payload.Span);
            var left = (int)data.Length;
            while (left > 0)
            {
                var read = await client.ReadRawAsync(raw.AsMemory(0, left), Idle, token);
                Assert.True(read > 0);
                left -= read;
            }
        }

        await serving;
    }

    private static async Task ServeAsync(FrameConnection server, byte[] answer, byte[] raw, int count, CancellationToken token)
    {
        for (var i = 0; i < count; i++)
        {
            var frame = await server.ReadFrameAsync(Idle, token);
            var (length, rawLength) = Answer(frame.Payload.Span, answer);
            await server.SendRawAsync(answer.AsMemory(0, length), token);
            await server.SendRawAsync(raw.AsMemory(0, rawLength), token);
        }
    }

    private static (int Length, int RawLength) Answer(ReadOnlySpan<byte> payload, byte[] answer)
    {
        var get = GetView.Parse(payload);
        return (FrameWriter.WriteDataHeader(answer, get.Offset, get.Length), (int)get.Length);
    }
}
