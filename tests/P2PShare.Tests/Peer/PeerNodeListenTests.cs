using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Directory;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>
/// Issue 13, item 12: a peer that registers over IPv6 is listed at its IPv6 address, so it must
/// accept uploads there too. By default a peer listens on both families at once.
/// </summary>
public sealed class PeerNodeListenTests : IDisposable
{
    private readonly TempFolder _share = new();
    private readonly TempFolder _downloads = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _share.Dispose();
        _downloads.Dispose();
    }

    [Fact]
    public async Task IPv6_a_peer_that_registers_over_IPv6_accepts_uploads_at_its_IPv6_address_and_at_its_IPv4_one()
    {
        _share.Write("a.bin", [1, 2, 3]);
        await using var server = new DirectoryServer(new DirectoryServerOptions { ListenEndPoint = new IPEndPoint(IPAddress.IPv6Loopback, 0) }, new InMemoryPeerRegistry(), NullLogger<DirectoryServer>.Instance);
        server.Start();
        await using var node = new PeerNode(
            new PeerOptions
            {
                Server = new HostPort("::1", (ushort)server.LocalEndPoint.Port),
                Port = 0,
                ShareFolder = _share.Path,
                DownloadsFolder = _downloads.Path,
            },
            NullLoggerFactory.Instance);
        await node.StartAsync(Token);

        foreach (var address in new[] { IPAddress.IPv6Loopback, IPAddress.Loopback })
        {
            using var socket = await HostPort.ConnectAsync([address], node.ListenPort, TimeSpan.FromSeconds(5), Token);
            using var connection = new FrameConnection(socket, Channel.Peer);
            await connection.SendAsync(new GetMessage("a.bin"), Token);
            var data = Assert.IsType<DataMessage>(await connection.ReadMessageAsync(TimeSpan.FromSeconds(5), Token));
            Assert.Equal(3UL, data.Length);
        }
    }
}
