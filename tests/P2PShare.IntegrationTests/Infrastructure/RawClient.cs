using System.Net;
using System.Net.Sockets;
using P2PShare.Protocol;

namespace P2PShare.IntegrationTests.Infrastructure;

/// <summary>
/// Speaks the wire protocol directly to a peer or to the directory server, with the Protocol
/// library's <see cref="FrameConnection"/>, so tests can send what the CLI never would.
/// </summary>
public sealed class RawClient : IAsyncDisposable
{
    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    private RawClient(FrameConnection connection)
    {
        Connection = connection;
    }

    public FrameConnection Connection { get; }

    /// <summary>Connects to <paramref name="port"/> at <paramref name="address"/> (127.0.0.1 unless given).</summary>
    public static async Task<RawClient> ConnectAsync(int port, Channel channel, IPAddress? address = null)
    {
        var socket = await HostPort.ConnectAsync([address ?? IPAddress.Loopback], port, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        return new RawClient(new FrameConnection(socket, channel) { FrameTimeout = ReplyTimeout });
    }

    public async Task SendAsync(Message message) =>
        await Connection.SendAsync(message, TestContext.Current.CancellationToken);

    /// <summary>Sends bytes as they are: a hand-made frame header, for instance.</summary>
    public async Task SendRawAsync(byte[] bytes) =>
        await Connection.SendRawAsync(bytes, TestContext.Current.CancellationToken);

    /// <summary>The next message; fails when none comes within <see cref="ReplyTimeout"/> or the connection closes.</summary>
    public async Task<Message> ReceiveAsync()
    {
        var message = await Connection.ReadMessageAsync(ReplyTimeout, TestContext.Current.CancellationToken);
        return message ?? throw new EndOfStreamException("the connection closed instead of answering");
    }

    /// <summary>Expects an ERROR and returns it.</summary>
    public async Task<ErrorMessage> ReceiveErrorAsync()
    {
        var message = await ReceiveAsync();
        return Assert.IsType<ErrorMessage>(message);
    }

    /// <summary>Sends GET and returns the bytes of the DATA answer (fails on anything else).</summary>
    public async Task<byte[]> GetAsync(string name)
    {
        await SendAsync(new GetMessage(name));
        var reply = await ReceiveAsync();
        var data = reply as DataMessage ?? throw new InvalidOperationException($"GET \"{name}\" was answered with {reply}");
        Assert.Equal(0UL, data.Offset);
        return await ReadRawAsync(checked((int)data.Length));
    }

    /// <summary>Reads exactly <paramref name="length"/> raw bytes (those after a DATA frame).</summary>
    public async Task<byte[]> ReadRawAsync(int length)
    {
        var bytes = new byte[length];
        var filled = 0;
        while (filled < length)
        {
            var read = await Connection.ReadRawAsync(bytes.AsMemory(filled), ReplyTimeout, TestContext.Current.CancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException($"the connection closed after {filled} of {length} bytes");
            }

            filled += read;
        }

        return bytes;
    }

    /// <summary>
    /// True once the other side has closed the connection (reads end of stream or a reset)
    /// within <paramref name="timeout"/>; false when it is still open.
    /// </summary>
    public async Task<bool> IsClosedByPeerAsync(TimeSpan timeout)
    {
        try
        {
            var read = await Connection.ReadRawAsync(new byte[1], timeout, TestContext.Current.CancellationToken);
            return read == 0;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>One SEARCH on a fresh directory connection (to 127.0.0.1 unless <paramref name="address"/> is given).</summary>
    public static async Task<IReadOnlyList<PeerFiles>> SearchAsync(int serverPort, string query, IPAddress? address = null)
    {
        await using var client = await ConnectAsync(serverPort, Channel.Directory, address);
        await client.SendAsync(new SearchMessage(query));
        var reply = await client.ReceiveAsync();
        return reply is ResultsMessage results
            ? results.Peers
            : throw new InvalidOperationException($"SEARCH \"{query}\" was answered with {reply}");
    }

    /// <summary>
    /// Searches every 50 ms until <paramref name="condition"/> holds for the results; fails with
    /// the last results when it does not within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<IReadOnlyList<PeerFiles>> SearchUntilAsync(int serverPort, string query, Func<IReadOnlyList<PeerFiles>, bool> condition, TimeSpan timeout, IPAddress? address = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var results = await SearchAsync(serverPort, query, address);
            if (condition(results))
            {
                return results;
            }

            if (clock.Elapsed > timeout)
            {
                var listed = string.Join("; ", results.Select(p => $"{p.EndPoint}: {string.Join(", ", p.Files.Select(f => f.Name))}"));
                throw new TimeoutException($"SEARCH \"{query}\" still answered [{listed}] after {timeout.TotalSeconds:0.#} s");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}
