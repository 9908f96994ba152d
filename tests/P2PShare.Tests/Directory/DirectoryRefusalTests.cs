using System.Net;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Tests.Directory;

/// <summary>
/// What a client sees on the wire when a limit refuses its request: an ERROR that names the
/// limit, the connection left open for the next request, and one log line on the server.
/// </summary>
public sealed class DirectoryRefusalTests : IAsyncDisposable
{
    private readonly RecordingLogger<DirectoryServer> _logger = new();
    private readonly DirectoryServer _server;

    public DirectoryRefusalTests()
    {
        var registry = new InMemoryPeerRegistry(new RegistrationQuotas { MaxFilesPerPeer = 2 }, new SearchLimits { MaxQueryBytes = 16, MaxQueryWords = 2 });
        _server = new DirectoryServer(new DirectoryServerOptions { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0) }, registry, _logger);
        _server.Start();
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private static FileEntry File(string name) => new(name, 1, ContentId.Zero);

    [Fact]
    public async Task A_REGISTER_or_ADD_past_a_quota_gets_ERROR_4_naming_it_and_the_connection_goes_on()
    {
        await using var peer = await DirectoryTestClient.ConnectAsync(_server.LocalEndPoint);

        var refused = await peer.RequestAsync<ErrorMessage>(new RegisterMessage(3301, [File("a"), File("b"), File("c")]));
        Assert.Equal(ErrorCode.Busy, refused.Code);
        Assert.Contains("--max-files-per-peer", refused.Text, StringComparison.Ordinal);

        Assert.Equal(2U, (await peer.RequestAsync<OkMessage>(new RegisterMessage(3301, [File("a"), File("b")]))).FileCount);
        var add = await peer.RequestAsync<ErrorMessage>(new AddMessage([File("c")]));
        Assert.Equal(ErrorCode.Busy, add.Code);
        Assert.Equal(2U, (await peer.RequestAsync<OkMessage>(new AddMessage([File("a")]))).FileCount);
        await peer.RequestAsync<PongMessage>(PingMessage.Instance);
        Assert.Contains(_logger.Lines, l => l.StartsWith("Warning: ", StringComparison.Ordinal) && l.Contains("REGISTER refused by --max-files-per-peer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_SEARCH_past_a_query_limit_gets_ERROR_1_naming_it_and_the_connection_goes_on()
    {
        await using var client = await DirectoryTestClient.ConnectAsync(_server.LocalEndPoint);

        var tooLong = await client.RequestAsync<ErrorMessage>(new SearchMessage("seventeen bytes!!"));
        Assert.Equal(ErrorCode.BadRequest, tooLong.Code);
        Assert.Contains("--max-query-bytes", tooLong.Text, StringComparison.Ordinal);
        var tooMany = await client.RequestAsync<ErrorMessage>(new SearchMessage("one two three"));
        Assert.Contains("--max-query-words", tooMany.Text, StringComparison.Ordinal);
        await client.RequestAsync<ResultsMessage>(new SearchMessage("one ONE two"));
    }

    [Fact]
    public async Task A_client_that_keeps_sending_refused_requests_gets_one_log_line_not_one_per_request()
    {
        await using var client = await DirectoryTestClient.ConnectAsync(_server.LocalEndPoint);
        for (var i = 0; i < 50; i++)
        {
            await client.RequestAsync<ErrorMessage>(new SearchMessage("one two three"));
        }

        Assert.Single(_logger.Lines, l => l.Contains("SEARCH refused by --max-query-words", StringComparison.Ordinal));
    }

    [Fact]
    public async Task REMOVE_on_a_connection_that_has_not_registered_is_refused_before_its_names_are_read()
    {
        await using var client = await DirectoryTestClient.ConnectAsync(_server.LocalEndPoint);
        // A REMOVE whose one name is not a valid file name: the missing registration is what is
        // reported, since the names are never read.
        await client.SendRawAsync(0x0a, 0, 0, 0, 7, 0, 0, 0, 1, 0, 1, (byte)'/');

        var error = await client.ExpectErrorAndCloseAsync(ErrorCode.BadRequest);
        Assert.Contains("REMOVE on a connection that has not registered", error.Text, StringComparison.Ordinal);
    }
}
