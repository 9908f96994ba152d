using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using P2PShare.IntegrationTests.Infrastructure;
using P2PShare.Protocol;

namespace P2PShare.IntegrationTests;

/// <summary>
/// Issue 13 item 5, through real processes: 1,000 connections from 4 addresses that sent GET for a
/// 1 GiB file and never read kept every upload slot for 75 s and more, and an ordinary
/// <c>get</c> got "busy". At a small scale: a peer with 8 upload slots and a 2 s stall timeout,
/// sharing a sparse 256 MiB file; 8 raw connections from 127.0.0.2–127.0.0.5 GET it and never
/// read. Their slots are freed after the stall timeout, and then an ordinary <c>get</c> succeeds.
/// </summary>
public sealed class UploadSlotsHeldForeverTests : IAsyncDisposable
{
    private const int Slots = 8;

    private readonly TestCluster _cluster = new();
    private readonly List<Socket> _stallers = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var socket in _stallers)
        {
            socket.Dispose();
        }

        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Downloaders_that_never_read_lose_their_slots_after_the_stall_timeout_and_an_ordinary_get_then_succeeds()
    {
        var server = await _cluster.StartServerAsync();
        var share = _cluster.ShareFolder("peer");
        await using (var big = File.Create(Path.Combine(share, "big.bin")))
        {
            big.SetLength(256L * 1024 * 1024);
        }

        var small = TestFiles.WriteRandom(Path.Combine(share, "small.bin"), 300_000, 51);
        var peer = await _cluster.StartPeerAsync(server, "peer", arguments: ["--max-connections", $"{Slots}", "--stall-timeout", "2"]);

        var get = MessageCodec.EncodeFrame(new GetMessage("big.bin"));
        for (var i = 0; i < Slots; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _stallers.Add(socket);
            socket.Bind(new IPEndPoint(IPAddress.Parse($"127.0.0.{2 + (i % 4)}"), 0));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, peer.Port), TestContext.Current.CancellationToken);
            await socket.SendAsync(get, SocketFlags.None, TestContext.Current.CancellationToken);
        }

        // Every slot is held: the next downloader is told the peer is busy.
        Assert.Equal(ErrorCode.Busy, (await ProbeAsync(peer.Port))?.Code);

        // Within a few stall timeouts the slots are free again, though no staller has read a byte.
        var clock = Stopwatch.StartNew();
        while (await ProbeAsync(peer.Port) is { Code: ErrorCode.Busy })
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the upload slots are still held by downloaders that never read");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"slots free {clock.Elapsed.TotalSeconds:0.0} s after the peer first answered busy");
        var output = _cluster.Folder("out");
        var result = await _cluster.RunAsync(["get", "small.bin", "--server", server.Address, "--output", output]);
        Assert.True(result.ExitCode == 0, result.Description);
        await TestFiles.AssertSameContentAsync(small, Path.Combine(output, "small.bin"));
        await peer.Process.WaitForErrorLineAsync("upload of big.bin to 127\\.0\\.0\\.\\d+:\\d+ failed after \\d+ bytes: the downloader did not take", TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("86401")]
    public async Task A_stall_timeout_that_is_not_a_positive_number_of_seconds_is_refused(string seconds)
    {
        var result = await _cluster.RunAsync(["peer", "--server", "127.0.0.1:1", "--no-menu", "--stall-timeout", seconds], timeout: TimeSpan.FromSeconds(20));

        Assert.True(result.ExitCode != 0, result.Description);
        Assert.Contains("--stall-timeout must be a positive number of seconds", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Connects and PINGs: null when the peer answers PONG (a slot was free), else the ERROR it answered.</summary>
    private static async Task<ErrorMessage?> ProbeAsync(int port)
    {
        await using var probe = await RawClient.ConnectAsync(port, Channel.Peer);
        await probe.SendAsync(PingMessage.Instance);
        var answer = await probe.ReceiveAsync();
        return answer as ErrorMessage ?? (answer is PongMessage ? null : throw new InvalidOperationException($"PING was answered with {answer}"));
    }
}
