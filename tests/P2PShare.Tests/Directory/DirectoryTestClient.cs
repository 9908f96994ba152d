using System.Net;
using System.Net.Sockets;
using P2PShare.Protocol;

namespace P2PShare.Tests.Directory;

/// <summary>A raw client of the directory server for tests: a socket and a frame reader, nothing else.</summary>
internal sealed class DirectoryTestClient : IAsyncDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);

    private DirectoryTestClient(Socket socket)
    {
        Socket = socket;
        Frames = new FrameConnection(socket, Channel.Directory);
    }

    public Socket Socket { get; }

    public FrameConnection Frames { get; }

    public static async Task<DirectoryTestClient> ConnectAsync(IPEndPoint server)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(server, TestContext.Current.CancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new DirectoryTestClient(socket);
    }

    public ValueTask SendAsync(Message message) => Frames.SendAsync(message, TestContext.Current.CancellationToken);

    public ValueTask SendRawAsync(params byte[] bytes) => Frames.SendRawAsync(bytes, TestContext.Current.CancellationToken);

    public async Task<Message> ReceiveAsync() =>
        await Frames.ReadMessageAsync(ReadTimeout, TestContext.Current.CancellationToken)
        ?? throw new InvalidOperationException("the server closed the connection");

    public async Task<T> ReceiveAsync<T>()
        where T : Message => Assert.IsType<T>(await ReceiveAsync());

    public async Task<T> RequestAsync<T>(Message message)
        where T : Message
    {
        await SendAsync(message);
        return await ReceiveAsync<T>();
    }

    /// <summary>Expects an ERROR with <paramref name="code"/> and then the end of the connection.</summary>
    public async Task<ErrorMessage> ExpectErrorAndCloseAsync(ErrorCode code)
    {
        var error = await ReceiveAsync<ErrorMessage>();
        Assert.Equal(code, error.Code);
        Assert.Null(await Frames.ReadMessageAsync(ReadTimeout, TestContext.Current.CancellationToken));
        return error;
    }

    public ValueTask DisposeAsync() => Frames.DisposeAsync();
}
