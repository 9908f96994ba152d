using System.Net;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Tests.Directory;

/// <summary>
/// LOCATE and HOLD over real loopback sockets: what peers see on the wire (PROTOCOL.md 5.13–5.15
/// and 8.6), refusals by rule and by limit, and holdings that end with the registration.
/// </summary>
public sealed class DirectoryLocateTests : IAsyncDisposable
{
    private static readonly ContentId X = Tests.Protocol.Wire.Id(1);
    private static readonly ContentId Y = Tests.Protocol.Wire.Id(2);

    private readonly RecordingLogger<DirectoryServer> _logger = new();
    private readonly InMemoryPeerRegistry _registry = new(new RegistrationQuotas { MaxPartialPerPeer = 2 }, new SearchLimits());
    private readonly DirectoryServer _server;
    private readonly List<DirectoryTestClient> _clients = [];

    public DirectoryLocateTests()
    {
        _server = new DirectoryServer(new DirectoryServerOptions { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0) }, _registry, _logger);
        _server.Start();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        await _server.DisposeAsync();
    }

    [Fact]
    public async Task LOCATE_lists_whole_holders_then_partial_ones_and_leaves_the_asker_out()
    {
        var whole = await ConnectAsync();
        await whole.RequestAsync<OkMessage>(new RegisterMessage(3301, [new FileEntry("x.bin", 3 * (ulong)Limits.ChunkSize, X), new FileEntry("again/x.bin", 3 * (ulong)Limits.ChunkSize, X)]));
        var partial = await ConnectAsync();
        await partial.RequestAsync<OkMessage>(new RegisterMessage(3302, []));
        Assert.Equal(1U, (await partial.RequestAsync<OkMessage>(new HoldMessage([new HoldItem(X, 3 * (ulong)Limits.ChunkSize, 2)]))).FileCount);
        var asker = await ConnectAsync();

        var sources = await asker.RequestAsync<SourcesMessage>(new LocateMessage(X));

        Assert.Equal(X, sources.Id);
        Assert.Equal(
        [
            new HeldSource(IPAddress.Loopback, 3301, 3 * (ulong)Limits.ChunkSize, HeldSource.WholeFile),
            new HeldSource(IPAddress.Loopback, 3302, 3 * (ulong)Limits.ChunkSize, 2),
        ], sources.Sources);
        // The name of the first whole holder's first entry; none when no whole holder is listed.
        Assert.Equal("x.bin", sources.FileName);
        var toWhole = await whole.RequestAsync<SourcesMessage>(new LocateMessage(X));
        Assert.Equal([(ushort)3302], toWhole.Sources.Select(s => s.Port));
        Assert.Equal("", toWhole.FileName);
        Assert.Equal([(ushort)3301], (await partial.RequestAsync<SourcesMessage>(new LocateMessage(X))).Sources.Select(s => s.Port));
        var none = await asker.RequestAsync<SourcesMessage>(new LocateMessage(Y));
        Assert.Empty(none.Sources);
        Assert.Equal("", none.FileName);
    }

    [Fact]
    public async Task Holdings_end_with_the_connection_and_with_a_new_REGISTER()
    {
        var holder = await ConnectAsync();
        await holder.RequestAsync<OkMessage>(new RegisterMessage(3301, []));
        await holder.RequestAsync<OkMessage>(new HoldMessage([new HoldItem(X, 5, 1)]));
        var asker = await ConnectAsync();
        Assert.Single((await asker.RequestAsync<SourcesMessage>(new LocateMessage(X))).Sources);

        await holder.RequestAsync<OkMessage>(new RegisterMessage(3301, []));
        Assert.Empty((await asker.RequestAsync<SourcesMessage>(new LocateMessage(X))).Sources);

        await holder.RequestAsync<OkMessage>(new HoldMessage([new HoldItem(X, 5, 1)]));
        Assert.Single((await asker.RequestAsync<SourcesMessage>(new LocateMessage(X))).Sources);
        await holder.DisposeAsync();
        await WaitUntilAsync(async () => (await asker.RequestAsync<SourcesMessage>(new LocateMessage(X))).Sources.Count == 0);
    }

    [Fact]
    public async Task HOLD_with_0_withdraws_and_OK_counts_what_is_held()
    {
        var holder = await ConnectAsync();
        await holder.RequestAsync<OkMessage>(new RegisterMessage(3301, []));
        Assert.Equal(2U, (await holder.RequestAsync<OkMessage>(new HoldMessage([new HoldItem(X, 5, 1), new HoldItem(Y, 5, 1)]))).FileCount);
        Assert.Equal(1U, (await holder.RequestAsync<OkMessage>(new HoldMessage([new HoldItem(X, 5, 0)]))).FileCount);
        var asker = await ConnectAsync();
        Assert.Empty((await asker.RequestAsync<SourcesMessage>(new LocateMessage(X))).Sources);
        Assert.Single((await asker.RequestAsync<SourcesMessage>(new LocateMessage(Y))).Sources);
    }

    [Fact]
    public async Task A_HOLD_past_the_cap_gets_ERROR_4_naming_it_changes_nothing_and_the_connection_goes_on()
    {
        var holder = await ConnectAsync();
        await holder.RequestAsync<OkMessage>(new RegisterMessage(3301, []));
        await holder.RequestAsync<OkMessage>(new HoldMessage([new HoldItem(X, 5, 1)]));

        var refused = await holder.RequestAsync<ErrorMessage>(new HoldMessage([new HoldItem(Y, 5, 1), new HoldItem(Tests.Protocol.Wire.Id(3), 5, 1), new HoldItem(X, 5 * (ulong)Limits.ChunkSize, 2)]));

        Assert.Equal(ErrorCode.Busy, refused.Code);
        Assert.Contains("--max-partial-per-peer", refused.Text, StringComparison.Ordinal);
        var asker = await ConnectAsync();
        Assert.Equal([new HeldSource(IPAddress.Loopback, 3301, 5, 1)], (await asker.RequestAsync<SourcesMessage>(new LocateMessage(X))).Sources);
        Assert.Empty((await asker.RequestAsync<SourcesMessage>(new LocateMessage(Y))).Sources);
        Assert.Equal(2U, (await holder.RequestAsync<OkMessage>(new HoldMessage([new HoldItem(Y, 5, 1)]))).FileCount);
        Assert.Contains(_logger.Lines, l => l.StartsWith("Warning: ", StringComparison.Ordinal) && l.Contains("HOLD refused by --max-partial-per-peer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HOLD_before_REGISTER_is_ERROR_1_and_the_connection_closes()
    {
        var client = await ConnectAsync();
        await client.SendAsync(new HoldMessage([new HoldItem(X, 5, 1)]));

        var error = await client.ExpectErrorAndCloseAsync(ErrorCode.BadRequest);
        Assert.Contains("HOLD on a connection that has not registered", error.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_HOLD_of_more_chunks_than_the_content_has_is_ERROR_1_and_the_connection_closes()
    {
        var client = await ConnectAsync();
        await client.RequestAsync<OkMessage>(new RegisterMessage(3301, []));
        // 5 bytes are one chunk; two are held: the frame is malformed.
        await client.SendRawAsync([0x0f, 0, 0, 0, 48, 0, 0, 0, 1, .. X.ToArray(), 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 2]);

        var error = await client.ExpectErrorAndCloseAsync(ErrorCode.BadRequest);
        Assert.Contains("holds 2 chunks of a content of 1 chunks", error.Text, StringComparison.Ordinal);
        var asker = await ConnectAsync();
        await WaitUntilAsync(() => Task.FromResult(_registry.PeerCount == 0));
        Assert.Empty((await asker.RequestAsync<SourcesMessage>(new LocateMessage(X))).Sources);
    }

    [Fact]
    public async Task A_LOCATE_of_the_zero_id_is_ERROR_1_and_the_connection_closes()
    {
        var client = await ConnectAsync();
        await client.SendRawAsync([0x0d, 0, 0, 0, 32, .. new byte[32]]);

        var error = await client.ExpectErrorAndCloseAsync(ErrorCode.BadRequest);
        Assert.Contains("zero id", error.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_HOLD_larger_than_1024_items_is_refused_from_its_header()
    {
        var client = await ConnectAsync();
        await client.RequestAsync<OkMessage>(new RegisterMessage(3301, []));
        await client.SendRawAsync(0x0f, 0, 0, 0xb0, 0x30);

        var error = await client.ExpectErrorAndCloseAsync(ErrorCode.TooLarge);
        Assert.Contains("limit of 45060 bytes", error.Text, StringComparison.Ordinal);
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

    private async Task<DirectoryTestClient> ConnectAsync()
    {
        var client = await DirectoryTestClient.ConnectAsync(_server.LocalEndPoint);
        _clients.Add(client);
        return client;
    }
}
