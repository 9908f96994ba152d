using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Tests.Directory;

/// <summary>The server over real loopback sockets.</summary>
public sealed class DirectoryServerTests : IAsyncLifetime
{
    private readonly InMemoryPeerRegistry _registry = new();
    private readonly List<IAsyncDisposable> _disposables = [];
    private DirectoryServer _server = null!;

    private IPEndPoint EndPoint => _server.LocalEndPoint;

    public ValueTask InitializeAsync()
    {
        _server = StartServer(new DirectoryServerOptions { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0) });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var disposable in _disposables)
        {
            await disposable.DisposeAsync();
        }

        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Register_is_answered_with_the_number_of_files()
    {
        await using var peer = await ConnectAsync();

        var ok = await peer.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("a.txt"), File("b.txt"), File("a.txt")]));

        Assert.Equal(2U, ok.FileCount);
        Assert.Equal(2, _registry.FileCount);
    }

    [Fact]
    public async Task Search_from_another_connection_finds_the_peer_at_its_source_address_and_announced_port()
    {
        await using var peer = await ConnectAsync();
        await peer.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("music/Song One.mp3"), File("notes.txt")]));
        await using var searcher = await ConnectAsync();

        var results = await searcher.RequestAsync<ResultsMessage>(new SearchMessage("song ONE"));

        var found = Assert.Single(results.Peers);
        Assert.Equal(IPAddress.Loopback, found.Address);
        Assert.Equal((ushort)3301, found.Port);
        Assert.Equal("music/Song One.mp3", Assert.Single(found.Files).Name);
    }

    [Fact]
    public async Task Search_over_a_register_connection_leaves_out_the_peers_own_files()
    {
        await using var alice = await ConnectAsync();
        await alice.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("song-a")]));
        await using var bob = await ConnectAsync();
        await bob.RequestAsync<OkMessage>(new RegisterMessage(3302, [File("song-b")]));

        var results = await alice.RequestAsync<ResultsMessage>(new SearchMessage("song"));

        Assert.Equal((ushort)3302, Assert.Single(results.Peers).Port);
    }

    [Fact]
    public async Task Closing_the_register_connection_forgets_the_peers_files()
    {
        var peer = await ConnectAsync();
        await peer.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("song")]));
        await using var searcher = await ConnectAsync();
        Assert.Single((await searcher.RequestAsync<ResultsMessage>(new SearchMessage("song"))).Peers);

        await peer.DisposeAsync();

        await WaitUntilAsync(async () => (await searcher.RequestAsync<ResultsMessage>(new SearchMessage("song"))).Peers.Count == 0);
        Assert.Equal(0, _registry.PeerCount);
    }

    [Fact]
    public async Task Add_and_remove_are_answered_with_the_number_of_files()
    {
        await using var peer = await ConnectAsync();
        await peer.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("a"), File("b")]));

        Assert.Equal(3U, (await peer.RequestAsync<OkMessage>(new AddMessage([File("b", 7), File("c")]))).FileCount);
        Assert.Equal(2U, (await peer.RequestAsync<OkMessage>(new RemoveMessage(["a", "unknown"]))).FileCount);

        await using var searcher = await ConnectAsync();
        var files = Assert.Single((await searcher.RequestAsync<ResultsMessage>(new SearchMessage(""))).Peers).Files;
        Assert.Equal([("b", 7UL), ("c", 1UL)], files.Select(f => (f.Name, f.Size)));
    }

    [Fact]
    public async Task A_new_register_for_the_same_port_replaces_the_old_one_whose_close_does_not_remove_it()
    {
        var first = await ConnectAsync();
        await first.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("old")]));
        await using var second = await ConnectAsync();
        await second.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("new")]));

        // The replaced connection can no longer change the registration.
        await first.SendAsync(new AddMessage([File("x")]));
        await first.ExpectErrorAndCloseAsync(ErrorCode.BadRequest);
        await first.DisposeAsync();
        await WaitUntilAsync(() => Task.FromResult(_server.ConnectionCount == 1));

        await using var searcher = await ConnectAsync();
        var found = Assert.Single((await searcher.RequestAsync<ResultsMessage>(new SearchMessage(""))).Peers);
        Assert.Equal(["new"], found.Files.Select(f => f.Name));
    }

    [Fact]
    public async Task A_second_register_on_the_same_connection_replaces_its_registration()
    {
        await using var peer = await ConnectAsync();
        await peer.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("a"), File("b")]));

        var ok = await peer.RequestAsync<OkMessage>(new RegisterMessage(3305, [File("c")]));

        Assert.Equal(1U, ok.FileCount);
        Assert.Equal(1, _registry.PeerCount);
        await using var searcher = await ConnectAsync();
        var found = Assert.Single((await searcher.RequestAsync<ResultsMessage>(new SearchMessage(""))).Peers);
        Assert.Equal((ushort)3305, found.Port);
        Assert.Equal(["c"], found.Files.Select(f => f.Name));
    }

    [Fact]
    public async Task Ping_is_answered_with_pong_and_pong_is_ignored()
    {
        await using var client = await ConnectAsync();

        await client.SendAsync(PongMessage.Instance);
        await client.RequestAsync<PongMessage>(PingMessage.Instance);
    }

    [Fact]
    public async Task A_frame_length_of_2_pow_31_gets_too_large_and_the_server_keeps_serving()
    {
        await using (var client = await ConnectAsync())
        {
            await client.SendRawAsync(0x01, 0x80, 0x00, 0x00, 0x00);
            await client.ExpectErrorAndCloseAsync(ErrorCode.TooLarge);
        }

        await using var next = await ConnectAsync();
        await next.RequestAsync<ResultsMessage>(new SearchMessage("anything"));
    }

    [Fact]
    public async Task An_unknown_message_type_gets_unsupported()
    {
        await using var client = await ConnectAsync();

        await client.SendRawAsync(200, 0, 0, 0, 3, 1, 2, 3);

        await client.ExpectErrorAndCloseAsync(ErrorCode.Unsupported);
    }

    [Fact]
    public async Task A_truncated_register_payload_gets_bad_request()
    {
        await using var client = await ConnectAsync();

        // REGISTER, payload of 8 bytes: port 3301, count 1, and then no file entry.
        await client.SendRawAsync(1, 0, 0, 0, 8, 0x0C, 0xE5, 0, 0, 0, 1, 0, 0);

        await client.ExpectErrorAndCloseAsync(ErrorCode.BadRequest);
        Assert.Equal(0, _registry.PeerCount);
    }

    [Fact]
    public async Task Add_before_register_gets_bad_request()
    {
        await using var client = await ConnectAsync();

        await client.SendAsync(new AddMessage([File("a")]));

        var error = await client.ExpectErrorAndCloseAsync(ErrorCode.BadRequest);
        Assert.Contains("REGISTER first", error.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remove_before_register_gets_bad_request()
    {
        await using var client = await ConnectAsync();

        await client.SendAsync(new RemoveMessage(["a"]));

        await client.ExpectErrorAndCloseAsync(ErrorCode.BadRequest);
    }

    [Fact]
    public async Task A_server_to_peer_message_from_a_client_gets_bad_request_and_unregisters_the_peer()
    {
        await using var client = await ConnectAsync();
        await client.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("a")]));

        await client.SendAsync(new ResultsMessage([]));

        var error = await client.ExpectErrorAndCloseAsync(ErrorCode.BadRequest);
        Assert.StartsWith("unexpected RESULTS", error.Text, StringComparison.Ordinal);
        Assert.Equal(0, _registry.PeerCount);
    }

    [Fact]
    public async Task An_idle_unregistered_connection_is_closed_but_a_registered_one_is_not()
    {
        await using var server = StartServer(new DirectoryServerOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            UnregisteredIdleTimeout = TimeSpan.FromMilliseconds(200),
        });
        await using var idle = await DirectoryTestClient.ConnectAsync(server.LocalEndPoint);
        await using var registered = await DirectoryTestClient.ConnectAsync(server.LocalEndPoint);
        await registered.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("a")]));

        await idle.ExpectErrorAndCloseAsync(ErrorCode.BadRequest);

        await Task.Delay(200, TestContext.Current.CancellationToken);
        await registered.RequestAsync<PongMessage>(PingMessage.Instance);
    }

    [Fact]
    public async Task Stopping_closes_every_connection_and_unregisters_its_peer()
    {
        var client = await ConnectAsync();
        await client.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("a")]));

        await _server.StopAsync();

        Assert.Equal(0, _registry.PeerCount);
        Assert.Equal(0, _server.ConnectionCount);
        Assert.Null(await client.Frames.ReadMessageAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));
        await client.DisposeAsync();
        await _server.StopAsync(); // a second stop is harmless
    }

    [Fact]
    public void Starting_on_a_port_in_use_throws()
    {
        var server = new DirectoryServer(
            new DirectoryServerOptions { ListenEndPoint = EndPoint },
            _registry,
            NullLogger<DirectoryServer>.Instance);
        _disposables.Add(server);

        Assert.Throws<SocketException>(server.Start);
    }

    [Fact]
    public async Task Many_clients_at_once_are_served()
    {
        var clients = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => ConnectAsync()));

        await Task.WhenAll(clients.Select((c, i) => c.RequestAsync<OkMessage>(new RegisterMessage((ushort)(4000 + i), [File($"f{i}")]))));

        Assert.Equal(50, _registry.PeerCount);
        var results = await clients[0].RequestAsync<ResultsMessage>(new SearchMessage("f"));
        Assert.Equal(49, results.Peers.Count);
    }

    [Fact]
    public async Task Register_and_unregister_are_logged_with_the_peer_and_the_reason()
    {
        var logger = new RecordingLogger<DirectoryServer>();
        await using var server = new DirectoryServer(new DirectoryServerOptions { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0) }, new InMemoryPeerRegistry(), logger);
        server.Start();
        await using (var peer = await DirectoryTestClient.ConnectAsync(server.LocalEndPoint))
        {
            await peer.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("a"), File("b")]));
        }

        await WaitUntilAsync(() => Task.FromResult(server.ConnectionCount == 0));

        Assert.Contains("Information: peer 127.0.0.1:3301 registered 2 files", logger.Lines);
        Assert.Contains("Information: peer 127.0.0.1:3301 unregistered (closed)", logger.Lines);
    }

    [Fact]
    public async Task An_exception_in_one_connection_gets_internal_error_and_the_server_keeps_serving()
    {
        await using var server = new DirectoryServer(
            new DirectoryServerOptions { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0) },
            new FailingSearchRegistry(),
            NullLogger<DirectoryServer>.Instance);
        server.Start();

        await using (var client = await DirectoryTestClient.ConnectAsync(server.LocalEndPoint))
        {
            await client.SendAsync(new SearchMessage("boom"));
            await client.ExpectErrorAndCloseAsync(ErrorCode.Internal);
        }

        await using var next = await DirectoryTestClient.ConnectAsync(server.LocalEndPoint);
        await next.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("a")]));
    }

    [Fact]
    public async Task A_dual_mode_listener_reports_ipv4_clients_with_their_ipv4_address()
    {
        Assert.SkipUnless(Socket.OSSupportsIPv6, "no IPv6 on this machine");
        await using var server = StartServer(new DirectoryServerOptions { ListenEndPoint = new IPEndPoint(IPAddress.IPv6Any, 0) });
        var endPoint = new IPEndPoint(IPAddress.Loopback, server.LocalEndPoint.Port);
        await using var peer = await DirectoryTestClient.ConnectAsync(endPoint);
        await peer.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("a")]));
        await using var searcher = await DirectoryTestClient.ConnectAsync(endPoint);

        var found = Assert.Single((await searcher.RequestAsync<ResultsMessage>(new SearchMessage("a"))).Peers);

        Assert.Equal(IPAddress.Loopback, found.Address);
    }

    private static FileEntry File(string name, ulong size = 1) => new(name, size, ContentId.Zero);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 5 s");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    private DirectoryServer StartServer(DirectoryServerOptions options)
    {
        var server = new DirectoryServer(options, _registry, NullLogger<DirectoryServer>.Instance);
        server.Start();
        return server;
    }

    private async Task<DirectoryTestClient> ConnectAsync()
    {
        var client = await DirectoryTestClient.ConnectAsync(EndPoint);
        _disposables.Add(client);
        return client;
    }

    /// <summary>A registry whose search fails, standing in for a bug or a broken backing store.</summary>
    private sealed class FailingSearchRegistry : DelegatingRegistry
    {
        public override IReadOnlyList<PeerFiles> Search(string query, PeerKey? exclude, int maxFiles) =>
            throw new InvalidOperationException("search index exploded");
    }
}
