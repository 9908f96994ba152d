using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Directory;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>A peer registers its downloads folder's files beside its shared folder's, unless told not to or the folders are one.</summary>
public sealed class PeerNodeShareDownloadsTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly TempFolder _share = new();
    private readonly TempFolder _downloads = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _share.Dispose();
        _downloads.Dispose();
    }

    [Fact]
    public async Task Both_folders_are_registered_the_shared_folder_winning_a_name_both_have()
    {
        _share.Write("a.bin", [1]);
        _share.Write("same.bin", [2]);
        _downloads.Write("same.bin", [3, 3]);
        _downloads.Write("got/b.bin", [4]);
        _downloads.Write("c.bin.part", [5]);

        var registered = await RegisteredAsync(shareDownloads: true, _downloads.Path);

        Assert.Equal(["a.bin", "got/b.bin", "same.bin"], registered.Select(f => f.Name));
        Assert.Equal(ContentHasher.Compute([2]), registered.Single(f => f.Name == "same.bin").Id);
    }

    [Fact]
    public async Task With_share_downloads_off_only_the_shared_folder_is_registered()
    {
        _share.Write("a.bin", [1]);
        _downloads.Write("got/b.bin", [4]);

        var registered = await RegisteredAsync(shareDownloads: false, _downloads.Path);

        Assert.Equal(["a.bin"], registered.Select(f => f.Name));
    }

    [Fact]
    public async Task A_downloads_folder_inside_the_shared_folder_is_shared_once_under_its_path_in_the_share()
    {
        _share.Write("a.bin", [1]);
        _share.Write("incoming/b.bin", [4]);

        var registered = await RegisteredAsync(shareDownloads: true, Path.Combine(_share.Path, "incoming"));

        Assert.Equal(["a.bin", "incoming/b.bin"], registered.Select(f => f.Name));
    }

    /// <summary>Starts a peer with a directory of its own, waits for its first scan, and returns what the directory lists for it.</summary>
    private async Task<IReadOnlyList<FileEntry>> RegisteredAsync(bool shareDownloads, string downloadsFolder)
    {
        var registry = new InMemoryPeerRegistry();
        await using var server = new DirectoryServer(new DirectoryServerOptions { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0) }, registry, NullLogger<DirectoryServer>.Instance);
        server.Start();
        await using var node = new PeerNode(
            new PeerOptions
            {
                Server = new HostPort("127.0.0.1", (ushort)server.LocalEndPoint.Port),
                Port = 0,
                ListenAddress = IPAddress.Loopback,
                ShareFolder = _share.Path,
                DownloadsFolder = downloadsFolder,
                ShareDownloads = shareDownloads,
                InitialScanWait = TimeSpan.FromSeconds(5),
            },
            NullLoggerFactory.Instance);
        await node.StartAsync(Token);
        Assert.True(await node.WaitForInitialScanAsync(TimeSpan.FromSeconds(2), Patience, Token));
        Assert.Equal((uint)node.SharedFolders.Count, node.RegisteredFiles);
        return [.. registry.Search("", null, 1000).SelectMany(p => p.Files).OrderBy(f => f.Name, StringComparer.Ordinal)];
    }
}
