using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using P2PShare.Protocol;

namespace P2PShare.Benchmarks;

/// <summary>
/// One GET → DATA header (+ 64 raw bytes) exchange between two <see cref="FrameConnection"/>s over a
/// loopback TCP connection, with the default time limits armed on every read and send and a
/// cancellable token: the server loop's per-message cost. Each invocation runs
/// <see cref="RoundTrips"/> exchanges, so the benchmark harness's own await is spread over them.
/// </summary>
[MemoryDiagnoser]
public class FrameRoundTripBenchmarks : IDisposable
{
    private const int RoundTrips = 200;
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(30);

    private readonly byte[] _request = new byte[256];
    private readonly byte[] _answer = new byte[64];
    private readonly byte[] _raw = new byte[64];
    private readonly byte[] _received = new byte[64];
    private readonly CancellationTokenSource _stop = new();
    private FrameConnection _client = null!;
    private FrameConnection _server = null!;
    private Task _serving = Task.CompletedTask;

    [GlobalSetup]
    public void Setup()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.Connect(listener.LocalEndPoint!);
        var server = listener.Accept();
        server.NoDelay = true;
        _client = new FrameConnection(client, Channel.Peer);
        _server = new FrameConnection(server, Channel.Peer);
        _serving = Task.Run(ServeAsync);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _stop.Cancel();
        _client.Dispose();
        _server.Dispose();
        try
        {
            _serving.GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException or EndOfStreamException)
        {
        }

        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask GetAndDataHeader()
    {
        for (var i = 0; i < RoundTrips; i++)
        {
            var length = FrameWriter.WriteGet(_request, "music/some artist/track 07.flac"u8, (ulong)i << 20, (ulong)_raw.Length, ContentId.Zero);
            await _client.SendRawAsync(_request.AsMemory(0, length), _stop.Token).ConfigureAwait(false);
            var frame = await _client.ReadFrameAsync(Idle, _stop.Token).ConfigureAwait(false);
            var left = (int)DataHeader.Parse(frame.Payload.Span).Length;
            while (left > 0)
            {
                left -= await _client.ReadRawAsync(_received.AsMemory(0, left), Idle, _stop.Token).ConfigureAwait(false);
            }
        }
    }

    private async Task ServeAsync()
    {
        while (true)
        {
            var frame = await _server.ReadFrameAsync(Timeout.InfiniteTimeSpan, _stop.Token).ConfigureAwait(false);
            if (frame.IsEndOfStream)
            {
                return;
            }

            var (length, rawLength) = Answer(frame.Payload.Span);
            await _server.SendRawAsync(_answer.AsMemory(0, length), _stop.Token).ConfigureAwait(false);
            await _server.SendRawAsync(_raw.AsMemory(0, rawLength), _stop.Token).ConfigureAwait(false);
        }
    }

    /// <remarks>BenchmarkDotNet needs an unsealed class.</remarks>
    private (int Length, int RawLength) Answer(ReadOnlySpan<byte> payload)
    {
        var get = GetView.Parse(payload);
        return (FrameWriter.WriteDataHeader(_answer, get.Offset, get.Length), (int)get.Length);
    }
}
