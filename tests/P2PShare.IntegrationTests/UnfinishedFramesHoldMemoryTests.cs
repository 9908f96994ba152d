using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using P2PShare.IntegrationTests.Infrastructure;
using P2PShare.Protocol;

namespace P2PShare.IntegrationTests;

/// <summary>
/// Issue 13 item 4, through a real <c>p2pshare server</c> with its default options: 200
/// connections from 8 addresses, each sending 4 MiB of a 16 MiB REGISTER and then pausing, raised
/// the directory from 38 to 846 MB, since every unfinished frame had a buffer of its full
/// declared length and nothing bounded them. Here 128 such connections (16 from each of
/// 127.0.0.2–127.0.0.9, 512 MiB sent) must not raise its peak memory by much more than its frame
/// budget; the connections over the budget get ERROR 4 naming the limit; and an ordinary peer
/// still registers and is found.
/// </summary>
public sealed class UnfinishedFramesHoldMemoryTests : IAsyncDisposable
{
    private const int MiB = 1024 * 1024;
    private const int Addresses = 8;
    private const int ConnectionsPerAddress = 16;
    private const int SentPerConnection = 4 * MiB;

    /// <summary>The server's default <c>--frame-memory</c> (these tests drive the CLI, not the directory library).</summary>
    private const long FrameBudget = 128L * MiB;

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
    public async Task Unfinished_frames_hold_at_most_the_frame_budget_and_an_ordinary_peer_still_registers()
    {
        const long budget = FrameBudget;
        var server = await _cluster.StartServerAsync();
        await RawClient.SearchAsync(server.Port, "warm-up");
        var before = ProcessTools.ReadResidentBytes(server.Process.Pid);

        var header = new byte[Limits.FrameHeaderLength];
        new FrameHeader((byte)MessageType.Register, Limits.MaxControlPayload).Write(header);
        var part = new byte[SentPerConnection];
        var connections = Enumerable.Range(0, Addresses * ConnectionsPerAddress)
            .Select(i => StartStalledFrameAsync(IPAddress.Parse($"127.0.0.{2 + (i % Addresses)}"), server.Port, header, part))
            .ToList();
        await Task.WhenAll(connections);

        // Everything sent has been read by the server (or refused and closed) once the kernel
        // holds nothing more for its port: then its memory says what the frames cost.
        await WaitForAsync(() => TcpQueues.PendingBytes(server.Port) == 0, "the server to read what was sent to it");
        var peak = ProcessTools.ReadPeakResidentBytes(server.Process.Pid);
        var growth = peak - before;
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"server VmRSS {before / MiB} MiB before, VmHWM {peak / MiB} MiB after {connections.Count} × {SentPerConnection / MiB} MiB of unfinished frames (frame budget {budget / MiB} MiB)");
        Assert.True(growth < budget + (96L * MiB), $"the server's peak memory grew by {growth / MiB} MiB, though its frame budget is {budget / MiB} MiB");

        // The connections over the budget were told why.
        var answers = await Task.WhenAll(_sockets.Select(ReadAnswerAsync));
        var busy = answers.Where(a => a is { Code: ErrorCode.Busy }).ToList();
        Assert.NotEmpty(busy);
        Assert.All(busy, e => Assert.Contains("limit of", e!.Text, StringComparison.Ordinal));
        await server.Process.WaitForErrorLineAsync("busy: frames being received", TimeSpan.FromSeconds(5));

        // An ordinary peer from another address registers and is found meanwhile.
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("honest"), "honest-file.bin"), 10_000, 41);
        var peer = await _cluster.StartPeerAsync(server, "honest");
        var found = Assert.Single(await _cluster.SearchJsonAsync(server, "honest-file"));
        Assert.Equal(peer.Port, found.Port);
    }

    /// <summary>Connects from <paramref name="source"/>, sends a REGISTER header and part of its payload, and leaves the frame unfinished.</summary>
    private async Task StartStalledFrameAsync(IPAddress source, int port, byte[] header, byte[] part)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        lock (_sockets)
        {
            _sockets.Add(socket);
        }

        socket.Bind(new IPEndPoint(source, 0));
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), TestContext.Current.CancellationToken);
        try
        {
            await socket.SendAsync(header, SocketFlags.None, TestContext.Current.CancellationToken);
            await socket.SendAsync(part, SocketFlags.None, TestContext.Current.CancellationToken);
        }
        catch (SocketException)
        {
            // Refused (ERROR 4 and closed) before all of it was taken.
        }
    }

    /// <summary>The ERROR the server sent on <paramref name="socket"/>, or null when it sent nothing (the frame is still open).</summary>
    private static async Task<ErrorMessage?> ReadAnswerAsync(Socket socket)
    {
        try
        {
            using var frames = new FrameConnection(socket, Channel.Directory);
            return await frames.ReadMessageAsync(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken) as ErrorMessage;
        }
        catch (Exception ex) when (ex is TimeoutException or SocketException or EndOfStreamException)
        {
            return null;
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"timed out waiting for {what}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
