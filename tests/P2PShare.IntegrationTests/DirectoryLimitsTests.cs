using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using P2PShare.IntegrationTests.Infrastructure;
using P2PShare.Protocol;

namespace P2PShare.IntegrationTests;

/// <summary>
/// The directory's limits and how it ends: connections that begin a frame and then send nothing
/// hold nothing up (a normal peer registers, searches and downloads next to 200 of them, and the
/// server closes them after the frame timeout), a connection over the per-address cap is refused
/// with ERROR 4, bad options are refused, and SIGTERM reports the peers it unregistered.
/// </summary>
public sealed class DirectoryLimitsTests : IAsyncDisposable
{
    private const int StalledConnections = 200;

    private readonly TestCluster _cluster = new();
    private readonly List<Socket> _sockets = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Connections_that_stall_in_a_frame_do_not_stop_a_normal_peer_and_are_closed_after_the_frame_timeout()
    {
        var server = await _cluster.StartServerAsync(arguments: ["--frame-timeout", "3"]);
        var endPoint = new IPEndPoint(IPAddress.Loopback, server.Port);

        // 200 connections from 127.0.0.1, each sending the first 3 bytes of a SEARCH header and then nothing.
        var sent = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, StalledConnections).Select(async _ =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            lock (_sockets)
            {
                _sockets.Add(socket);
            }

            await socket.ConnectAsync(endPoint, TestContext.Current.CancellationToken);
            await socket.SendAsync(new byte[] { 0x02, 0x00, 0x00 }, SocketFlags.None, TestContext.Current.CancellationToken);
        }));
        var closing = _sockets.Select(ReadUntilClosedAsync).ToList();

        // A normal peer, from the same address, registers, is found and is downloaded from.
        var source = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "limits-file.bin"), 300_000, 31);
        var peer = await _cluster.StartPeerAsync(server, "source");
        var found = await _cluster.SearchJsonAsync(server, "limits");
        Assert.Equal(peer.Port, Assert.Single(found).Port);
        var output = _cluster.Folder("out");
        var get = await _cluster.RunAsync(["get", "limits-file.bin", "--server", server.Address, "--output", output], timeout: TimeSpan.FromSeconds(20));
        Assert.True(get.ExitCode == 0, get.Description);
        await TestFiles.AssertSameContentAsync(source, Path.Combine(output, "limits-file.bin"));
        TestContext.Current.TestOutputHelper?.WriteLine($"register, search and get done {sent.ElapsedMilliseconds} ms after the stalled connections began");

        // The stalled connections are closed by the server once their frame timed out (3 s), not before.
        var closed = await Task.WhenAll(closing);
        Assert.All(closed, c => Assert.InRange(c.After, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(8)));
        Assert.All(closed, c => Assert.True(c.Error is null || c.Error.Code == ErrorCode.BadRequest, $"got {c.Error}"));
        Assert.Contains(closed, c => c.Error is not null);

        // And the peer is still registered.
        Assert.Contains(await RawClient.SearchAsync(server.Port, "limits"), p => p.Port == peer.Port);
    }

    [Fact]
    public async Task Over_max_per_address_a_connection_gets_busy_and_the_others_keep_working()
    {
        var server = await _cluster.StartServerAsync(arguments: ["--max-per-address", "2"]);
        await using var first = await RawClient.ConnectAsync(server.Port, Channel.Directory);
        await using var second = await RawClient.ConnectAsync(server.Port, Channel.Directory);
        await first.SendAsync(PingMessage.Instance);
        Assert.IsType<PongMessage>(await first.ReceiveAsync());

        await using var third = await RawClient.ConnectAsync(server.Port, Channel.Directory);
        var error = await third.ReceiveErrorAsync();

        Assert.Equal(ErrorCode.Busy, error.Code);
        Assert.Contains("limit per address", error.Text, StringComparison.Ordinal);
        Assert.True(await third.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
        await second.SendAsync(new SearchMessage("anything"));
        Assert.IsType<ResultsMessage>(await second.ReceiveAsync());
    }

    [Fact]
    public async Task A_server_stopped_with_SIGTERM_logs_how_many_peers_it_unregistered()
    {
        var server = await _cluster.StartServerAsync();
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("peer"), "stop.bin"), 1000, 32);
        await _cluster.StartPeerAsync(server, "peer");

        await server.Process.SignalAsync("TERM");

        Assert.Equal(0, await server.Process.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        await server.Process.WaitForErrorLineAsync("directory stopping: 1 peers unregistered", TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData("--ping-interval 10 --peer-timeout 10", "--peer-timeout (10 s) must be longer than --ping-interval (10 s)")]
    [InlineData("--ping-interval 0", "--ping-interval must be a positive number of seconds")]
    [InlineData("--frame-timeout -1", "--frame-timeout must be a positive number of seconds")]
    [InlineData("--max-per-address 0", "--max-per-address must be a positive number")]
    [InlineData("--max-connections 0", "--max-connections must be a positive number")]
    public async Task Bad_server_options_are_refused(string options, string message)
    {
        var result = await _cluster.RunAsync(["server", "--listen", "127.0.0.1:0", .. options.Split(' ')], timeout: TimeSpan.FromSeconds(20));

        Assert.True(result.ExitCode != 0, result.Description);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Reads what the server sends (an ERROR at most) until it closes; when, measured from the start of the test.</summary>
    private static async Task<(TimeSpan After, ErrorMessage? Error)> ReadUntilClosedAsync(Socket socket)
    {
        var clock = Stopwatch.StartNew();
        using var frames = new FrameConnection(socket, Channel.Directory);
        ErrorMessage? error = null;
        try
        {
            while (await frames.ReadMessageAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken) is { } message)
            {
                error = Assert.IsType<ErrorMessage>(message);
            }
        }
        catch (SocketException)
        {
            // A reset closes as well.
        }

        return (clock.Elapsed, error);
    }
}
