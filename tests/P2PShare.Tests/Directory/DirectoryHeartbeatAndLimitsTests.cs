using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Tests.Directory;

/// <summary>The server's heartbeat (PING, peer timeout) and connection limits, over loopback.</summary>
[Collection(nameof(TimingSensitiveCollection))]
public sealed class DirectoryHeartbeatAndLimitsTests : IAsyncDisposable
{
    private readonly InMemoryPeerRegistry _registry = new();
    private readonly List<IAsyncDisposable> _disposables = [];

    public async ValueTask DisposeAsync()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }
    }

    [Fact]
    public async Task A_registered_client_that_never_answers_is_pinged_and_then_dropped_with_its_files()
    {
        var logger = new RecordingLogger<DirectoryServer>();
        // Upper bounds with room for a loaded machine (other tests, other processes): what this
        // proves is that nothing happens before its time and that it does happen.
        var server = Start(new DirectoryServerOptions { PingInterval = TimeSpan.FromMilliseconds(400), PeerTimeout = TimeSpan.FromMilliseconds(1200) }, logger);
        var silent = await ConnectAsync(server);
        await silent.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("silent-song")]));
        var clock = Stopwatch.StartNew();
        var searcher = await ConnectAsync(server);
        Assert.Single((await searcher.RequestAsync<ResultsMessage>(new SearchMessage("silent"))).Peers);

        // The client sees PINGs (and never answers them).
        await silent.ReceiveAsync<PingMessage>();
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(350), TimeSpan.FromMilliseconds(1500));

        await WaitUntilAsync(async () => (await searcher.RequestAsync<ResultsMessage>(new SearchMessage("silent"))).Peers.Count == 0);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(1150), TimeSpan.FromMilliseconds(3500));
        Assert.Equal(0, _registry.PeerCount);
        await ExpectClosedAsync(silent);
        Assert.Contains("Information: peer 127.0.0.1:3301 unregistered (timeout: nothing for 1.2 s)", logger.Lines);
    }

    [Fact]
    public async Task A_registered_client_that_answers_pong_stays_registered()
    {
        var server = Start(new DirectoryServerOptions { PingInterval = TimeSpan.FromMilliseconds(200), PeerTimeout = TimeSpan.FromMilliseconds(600) });
        var peer = await ConnectAsync(server);
        await peer.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("lively-song")]));

        var pings = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(2))
        {
            await peer.ReceiveAsync<PingMessage>();
            pings++;
            await peer.SendAsync(PongMessage.Instance);
        }

        Assert.InRange(pings, 5, 15);
        Assert.Equal(1, _registry.PeerCount);
        var searcher = await ConnectAsync(server);
        Assert.Single((await searcher.RequestAsync<ResultsMessage>(new SearchMessage("lively"))).Peers);
        // Requests still get their answers in order, PINGs or not.
        Assert.Equal(2U, (await RequestSkippingPingsAsync<OkMessage>(peer, new AddMessage([File("second")]))).FileCount);
    }

    [Fact]
    public async Task A_registered_client_that_keeps_sending_requests_is_never_pinged()
    {
        // Requests 50 ms apart against a PING interval of a second: only a stall of most of a
        // second (a loaded machine) could let a PING in, not the server's own timing.
        var server = Start(new DirectoryServerOptions { PingInterval = TimeSpan.FromSeconds(1), PeerTimeout = TimeSpan.FromSeconds(3) });
        var peer = await ConnectAsync(server);
        await peer.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("busy-song")]));

        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(2.5))
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            // Strictly one answer per request, and never a PING in between.
            await peer.RequestAsync<ResultsMessage>(new SearchMessage("anything"));
        }

        Assert.Equal(1, _registry.PeerCount);
    }

    [Fact]
    public async Task An_unregistered_client_is_not_pinged_and_keeps_its_idle_timeout()
    {
        var server = Start(new DirectoryServerOptions
        {
            PingInterval = TimeSpan.FromMilliseconds(100),
            PeerTimeout = TimeSpan.FromMilliseconds(300),
            UnregisteredIdleTimeout = TimeSpan.FromMilliseconds(800),
        });
        var idle = await ConnectAsync(server);
        var clock = Stopwatch.StartNew();

        // The first thing it hears is the idle timeout's ERROR, after the idle timeout, not a PING.
        var error = await idle.ExpectErrorAndCloseAsync(ErrorCode.BadRequest);
        Assert.Contains("idle", error.Text, StringComparison.Ordinal);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(700), $"closed after {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Over_the_per_address_cap_a_connection_gets_busy_and_the_others_keep_working()
    {
        var server = Start(new DirectoryServerOptions { MaxConnectionsPerAddress = 3 });
        var first = await ConnectAsync(server);
        var second = await ConnectAsync(server);
        var third = await ConnectAsync(server);
        await first.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("capped")]));

        var fourth = await ConnectAsync(server);
        var error = await fourth.ExpectErrorAndCloseAsync(ErrorCode.Busy);

        Assert.Contains("127.0.0.1", error.Text, StringComparison.Ordinal);
        Assert.Contains("limit per address", error.Text, StringComparison.Ordinal);
        Assert.Equal((ushort)3301, Assert.Single((await second.RequestAsync<ResultsMessage>(new SearchMessage("capped"))).Peers).Port);
        await third.RequestAsync<PongMessage>(PingMessage.Instance);
        await first.RequestAsync<PongMessage>(PingMessage.Instance);
        Assert.Equal(3, server.ConnectionCount);

        // A closed connection makes room for a new one.
        await third.DisposeAsync();
        await WaitUntilAsync(() => Task.FromResult(server.ConnectionCount == 2));
        var fifth = await ConnectAsync(server);
        await fifth.RequestAsync<PongMessage>(PingMessage.Instance);
    }

    [Fact]
    public async Task Over_the_total_cap_a_connection_gets_busy_and_the_others_keep_working()
    {
        var server = Start(new DirectoryServerOptions { MaxConnections = 2 });
        var first = await ConnectAsync(server);
        var second = await ConnectAsync(server);
        await first.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("full")]));

        var third = await ConnectAsync(server);
        var error = await third.ExpectErrorAndCloseAsync(ErrorCode.Busy);

        Assert.Contains("2 connections, its limit", error.Text, StringComparison.Ordinal);
        Assert.Single((await second.RequestAsync<ResultsMessage>(new SearchMessage("full"))).Peers);
        await first.RequestAsync<PongMessage>(PingMessage.Instance);
        Assert.Equal(1, _registry.PeerCount);
    }

    [Fact]
    public async Task A_partial_frame_followed_by_nothing_is_closed_after_the_frame_timeout()
    {
        var server = Start(new DirectoryServerOptions { FrameTimeout = TimeSpan.FromMilliseconds(400) });
        var slow = await ConnectAsync(server);
        var clock = Stopwatch.StartNew();

        await slow.SendRawAsync(0x02, 0x00, 0x00);

        var error = await slow.ExpectErrorAndCloseAsync(ErrorCode.BadRequest);
        Assert.Contains("did not complete", error.Text, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(350), TimeSpan.FromSeconds(3));
        await WaitUntilAsync(() => Task.FromResult(server.ConnectionCount == 0));
    }

    [Fact]
    public async Task Stopping_logs_how_many_peers_were_unregistered()
    {
        var logger = new RecordingLogger<DirectoryServer>();
        var server = Start(new DirectoryServerOptions(), logger);
        var alice = await ConnectAsync(server);
        await alice.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("a")]));
        var bob = await ConnectAsync(server);
        await bob.RequestAsync<OkMessage>(new RegisterMessage(3302, [File("b")]));
        await ConnectAsync(server);

        await server.StopAsync();

        Assert.True(logger.Lines.Contains("Information: directory stopping: 2 peers unregistered"), string.Join("\n", logger.Lines));
    }

    [Fact]
    public void Options_with_a_peer_timeout_not_longer_than_the_ping_interval_are_refused()
    {
        var options = new DirectoryServerOptions { PingInterval = TimeSpan.FromSeconds(5), PeerTimeout = TimeSpan.FromSeconds(5) };

        Assert.Throws<ArgumentOutOfRangeException>(() => new DirectoryServer(options, _registry, NullLogger<DirectoryServer>.Instance));
    }

    [Fact]
    public void Raising_the_open_files_limit_returns_the_soft_limit_in_force()
    {
        var warnings = new List<string>();

        var limit = OpenFileLimit.RaiseToHardLimit(warnings.Add);

        if (OperatingSystem.IsLinux())
        {
            Assert.True(limit >= 1024, $"open-files limit {limit}, warnings: {string.Join("; ", warnings)}");
            Assert.Equal(limit, OpenFileLimit.RaiseToHardLimit());
        }
        else
        {
            Assert.Equal(-1, limit);
        }
    }

    private static FileEntry File(string name) => new(name, 1, ContentId.Zero);

    private static async Task<T> RequestSkippingPingsAsync<T>(DirectoryTestClient client, Message request)
        where T : Message
    {
        await client.SendAsync(request);
        while (true)
        {
            var message = await client.ReceiveAsync();
            if (message is not PingMessage)
            {
                return Assert.IsType<T>(message);
            }
        }
    }

    private static async Task ExpectClosedAsync(DirectoryTestClient client)
    {
        // PINGs may still be queued before the end of the stream; a reset is as good as an end.
        try
        {
            while (await client.Frames.ReadMessageAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken) is { } message)
            {
                Assert.IsType<PingMessage>(message);
            }
        }
        catch (System.Net.Sockets.SocketException)
        {
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 5 s");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    private DirectoryServer Start(DirectoryServerOptions options, Microsoft.Extensions.Logging.ILogger<DirectoryServer>? logger = null)
    {
        var server = new DirectoryServer(
            new DirectoryServerOptions
            {
                ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
                PingInterval = options.PingInterval,
                PeerTimeout = options.PeerTimeout,
                FrameTimeout = options.FrameTimeout,
                UnregisteredIdleTimeout = options.UnregisteredIdleTimeout,
                MaxConnectionsPerAddress = options.MaxConnectionsPerAddress,
                MaxConnections = options.MaxConnections,
            },
            _registry,
            logger ?? NullLogger<DirectoryServer>.Instance);
        server.Start();
        _disposables.Add(server);
        return server;
    }

    private async Task<DirectoryTestClient> ConnectAsync(DirectoryServer server)
    {
        var client = await DirectoryTestClient.ConnectAsync(server.LocalEndPoint);
        _disposables.Add(client);
        return client;
    }
}
