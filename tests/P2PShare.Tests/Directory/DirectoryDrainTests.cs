using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Tests.Directory;

/// <summary>Stopping the server: accepting stops at once, a request being answered still gets its answer.</summary>
public sealed class DirectoryDrainTests
{
    [Fact]
    public async Task A_search_being_answered_when_the_server_stops_still_gets_its_results()
    {
        var registry = new SlowSearchRegistry(TimeSpan.FromMilliseconds(500));
        var server = new DirectoryServer(
            new DirectoryServerOptions { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0), DrainTimeout = TimeSpan.FromSeconds(5) },
            registry,
            NullLogger<DirectoryServer>.Instance);
        server.Start();
        var endPoint = server.LocalEndPoint;
        await using var client = await DirectoryTestClient.ConnectAsync(endPoint);
        await client.SendAsync(new SearchMessage("anything"));
        await registry.SearchStarted.Task.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        var stop = server.StopAsync();

        Assert.IsType<ResultsMessage>(await client.ReceiveAsync());
        await stop.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => DirectoryTestClient.ConnectAsync(endPoint));
    }

    [Fact]
    public async Task A_request_that_outlasts_the_drain_timeout_is_cut_off()
    {
        var registry = new SlowSearchRegistry(TimeSpan.FromSeconds(3));
        var server = new DirectoryServer(
            new DirectoryServerOptions { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0), DrainTimeout = TimeSpan.FromMilliseconds(200) },
            registry,
            NullLogger<DirectoryServer>.Instance);
        server.Start();
        await using var client = await DirectoryTestClient.ConnectAsync(server.LocalEndPoint);
        await client.SendAsync(new SearchMessage("anything"));
        await registry.SearchStarted.Task.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        var stop = server.StopAsync();

        // After the 200 ms drain the connection is closed under the running search: no answer comes.
        Message? answer;
        try
        {
            answer = await client.Frames.ReadMessageAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or ObjectDisposedException)
        {
            answer = null;
        }

        Assert.Null(answer);
        await stop.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    /// <summary>A registry whose search takes a while, standing in for a request in progress.</summary>
    private sealed class SlowSearchRegistry(TimeSpan delay) : DelegatingRegistry
    {
        public TaskCompletionSource SearchStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override IReadOnlyList<PeerFiles> Search(string query, PeerKey? exclude, int maxFiles)
        {
            SearchStarted.TrySetResult();
            Thread.Sleep(delay);
            return Inner.Search(query, exclude, maxFiles);
        }
    }
}
