using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using P2PShare.LoadTest.Attacks;
using P2PShare.Protocol;

namespace P2PShare.IntegrationTests.Infrastructure;

/// <summary>
/// Requests to the directory over plain blocking sockets from chosen loopback addresses, as
/// many simulated peers at once as a test wants, and their answers in a form a test can compare.
/// </summary>
public static class BlockingDirectoryRequests
{
    /// <summary>Registers <paramref name="files"/>; the registration lasts as long as the returned socket stays open.</summary>
    public static async Task<Socket> RegisterAsync(IPEndPoint server, IPAddress local, IReadOnlyList<FileEntry> files, TimeSpan patience)
    {
        var socket = BlockingDirectoryClient.Connect(server, local, patience);
        await socket.SendAsync(MessageCodec.EncodeFrame(new RegisterMessage(3300, files)), SocketFlags.None, TestContext.Current.CancellationToken);
        Assert.Equal("OK", ReadAnswer(socket));
        return socket;
    }

    /// <summary>Reads one answer: "OK", "RESULTS", or "ERROR code text".</summary>
    public static string ReadAnswer(Socket socket)
    {
        var (type, payload) = BlockingDirectoryClient.ReadFrame(socket);
        return type switch
        {
            MessageType.Ok => "OK",
            MessageType.Results => "RESULTS",
            MessageType.Error => $"ERROR {BinaryPrimitives.ReadUInt16BigEndian(payload)} {Encoding.UTF8.GetString(payload.AsSpan(4))}",
            var other => other.ToString(),
        };
    }
}
