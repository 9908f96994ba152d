using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using P2PShare.Peer;
using P2PShare.Protocol;
using P2PShare.Tests.Directory;

namespace P2PShare.Tests.Peer;

/// <summary>The peer's link to the directory: backoff, reconnection with a fresh REGISTER, fast failures while down, and the heartbeat.</summary>
public sealed class DirectoryClientTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public void The_backoff_doubles_from_1_s_up_to_30_s_with_20_percent_jitter()
    {
        var backoff = new ReconnectBackoff(new Random(42));
        double[] expected = [1, 2, 4, 8, 16, 30, 30, 30];
        for (var attempt = 0; attempt < expected.Length; attempt++)
        {
            Assert.Equal(TimeSpan.FromSeconds(expected[attempt]), backoff.BaseDelay(attempt));
            for (var sample = 0; sample < 200; sample++)
            {
                var delay = backoff.Delay(attempt).TotalSeconds;
                Assert.InRange(delay, expected[attempt] * 0.8, expected[attempt] * 1.2);
            }
        }

        Assert.Equal(TimeSpan.FromSeconds(30), backoff.BaseDelay(1000));

        // The jitter really moves the delays, both ways.
        var delays = Enumerable.Range(0, 200).Select(_ => backoff.Delay(2).TotalSeconds).ToList();
        Assert.Contains(delays, d => d < 3.8);
        Assert.Contains(delays, d => d > 4.2);
    }

    [Fact]
    public async Task A_dropped_link_fails_searches_at_once_then_reconnects_to_a_new_listener_and_registers_the_current_files()
    {
        var files = new List<FileEntry> { Entry("a.bin") };
        var registers = 0;
        var logger = new RecordingLogger<DirectoryLink>();
        using var first = Listen(0);
        var port = ((IPEndPoint)first.LocalEndpoint).Port;
        await using var link = NewLink(port, logger, async (connection, token) =>
        {
            Interlocked.Increment(ref registers);
            return await connection.RegisterAsync(7000, [.. files], token);
        });

        var accepting = AcceptRegisterAsync(first);
        Assert.Equal(1U, await link.StartAsync(Token));
        await using (var server = await accepting)
        {
            Assert.Equal(["a.bin"], server.Registered.Select(f => f.Name));
            Assert.True(link.IsConnected);

            // The server goes away; the share changes meanwhile.
            first.Stop();
        }

        files.Add(Entry("b.bin"));
        await WaitUntilAsync(() => !link.IsConnected);

        // Searches fail at once while the directory is unreachable.
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<DirectoryException>(() => link.SearchAsync("x", Token));
        Assert.StartsWith(DirectoryLink.UnreachableMessage, error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the search took {clock.ElapsedMilliseconds} ms to fail");
        await Assert.ThrowsAsync<DirectoryException>(() => link.AddAsync([Entry("c.bin")], Token));

        // Let a few attempts fail (connection refused), then a server appears on the same port.
        await WaitUntilAsync(() => logger.Lines.Count(l => l.Contains("retrying in", StringComparison.Ordinal)) >= 3);
        using var second = Listen(port);
        await using (var server = await AcceptRegisterAsync(second))
        {
            Assert.Equal(["a.bin", "b.bin"], server.Registered.Select(f => f.Name));
            await WaitUntilAsync(() => link.IsConnected);
            Assert.Equal(2, link.Connections);
            Assert.Equal(2, registers);
            // The link is usable as soon as it is published, a moment before it says so.
            await WaitUntilAsync(() => logger.Lines.Any(l => l.Contains($"reconnected to 127.0.0.1:{port}: registered 2 files", StringComparison.Ordinal)));
            Assert.Contains(logger.Lines, l => l.Contains($"lost the directory 127.0.0.1:{port}:", StringComparison.Ordinal));

            // Requests go over the new connection.
            var search = link.SearchAsync("x", Token);
            Assert.IsType<SearchMessage>(await server.Frames.ReadMessageAsync(Patience, Token));
            await server.Frames.SendAsync(new ResultsMessage([]), Token);
            Assert.Empty(await search);
        }
    }

    [Fact]
    public async Task A_silent_server_is_pinged_then_given_up_and_the_link_reconnects()
    {
        var logger = new RecordingLogger<DirectoryLink>();
        using var listener = Listen(0);
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var link = NewLink(port, logger, (connection, token) => connection.RegisterAsync(7000, [Entry("a.bin")], token), new DirectoryHeartbeat(TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(600)));

        var accepting = AcceptRegisterAsync(listener);
        await link.StartAsync(Token);
        await using var silent = await accepting;

        // The server says nothing more and answers nothing: the link PINGs it, then gives up.
        var clock = Stopwatch.StartNew();
        Assert.IsType<PingMessage>(await silent.Frames.ReadMessageAsync(Patience, Token));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(550));

        await using var next = await AcceptRegisterAsync(listener);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(5));
        Assert.Equal(["a.bin"], next.Registered.Select(f => f.Name));
        Assert.Contains(logger.Lines, l => l.Contains("no word from the directory server", StringComparison.Ordinal));
        await WaitUntilAsync(() => link.Connections == 2);

        // A server that answers PINGs keeps the connection.
        for (var i = 0; i < 4; i++)
        {
            Assert.IsType<PingMessage>(await next.Frames.ReadMessageAsync(Patience, Token));
            await next.Frames.SendAsync(PongMessage.Instance, Token);
        }

        Assert.True(link.IsConnected);
        Assert.Equal(2, link.Connections);
    }

    [Fact]
    public async Task A_link_that_stopped_reconnecting_stays_down()
    {
        var logger = new RecordingLogger<DirectoryLink>();
        using var listener = Listen(0);
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var link = NewLink(port, logger, (connection, token) => connection.RegisterAsync(7000, [], token));
        var accepting = AcceptRegisterAsync(listener);
        await link.StartAsync(Token);
        await using (await accepting)
        {
            link.StopReconnecting();
            Assert.True(link.IsConnected);
        }

        await WaitUntilAsync(() => !link.IsConnected);
        await Task.Delay(500, Token);
        Assert.False(listener.Pending());
        Assert.Equal(1, link.Connections);
        Assert.DoesNotContain(logger.Lines, l => l.Contains("retrying in", StringComparison.Ordinal));
        var error = await Assert.ThrowsAsync<DirectoryException>(() => link.SearchAsync("x", Token));
        Assert.StartsWith(DirectoryLink.UnreachableMessage, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_directory_fails_the_start_without_retrying()
    {
        int port;
        using (var probe = Listen(0))
        {
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var logger = new RecordingLogger<DirectoryLink>();
        await using var link = NewLink(port, logger, (connection, token) => connection.RegisterAsync(7000, [], token));
        var error = await Assert.ThrowsAsync<DirectoryException>(() => link.StartAsync(Token));
        Assert.Contains("unreachable", error.Message, StringComparison.Ordinal);
        Assert.Empty(logger.Lines);
    }

    private static DirectoryLink NewLink(int port, RecordingLogger<DirectoryLink> logger, Func<DirectoryConnection, CancellationToken, Task<uint>> register, DirectoryHeartbeat? heartbeat = null) =>
        new(new HostPort("127.0.0.1", (ushort)port), logger)
        {
            Register = register,
            Heartbeat = heartbeat ?? DirectoryHeartbeat.Default,
            Backoff = new ReconnectBackoff { Initial = TimeSpan.FromMilliseconds(50), Maximum = TimeSpan.FromMilliseconds(200) },
            ConnectTimeout = TimeSpan.FromSeconds(2),
        };

    private static FileEntry Entry(string name) => new(name, 3, ContentId.Zero);

    private static TcpListener Listen(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        return listener;
    }

    /// <summary>Accepts one connection, reads its REGISTER and answers OK with the number of files.</summary>
    private static async Task<FakeServerConnection> AcceptRegisterAsync(TcpListener listener)
    {
        var socket = await listener.AcceptSocketAsync(Token).AsTask().WaitAsync(Patience, Token);
        var frames = new FrameConnection(socket, Channel.Directory);
        var register = Assert.IsType<RegisterMessage>(await frames.ReadMessageAsync(Patience, Token));
        await frames.SendAsync(new OkMessage((uint)register.Files.Count), Token);
        return new FakeServerConnection(frames, register.Files);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Patience, "the condition did not become true in time");
            await Task.Delay(10, Token);
        }
    }

    private sealed record FakeServerConnection(FrameConnection Frames, IReadOnlyList<FileEntry> Registered) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Frames.DisposeAsync();
    }
}
