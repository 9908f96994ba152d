using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Peer;

namespace P2PShare.Tests.Peer;

/// <summary>
/// One file shared by a real, in-process <see cref="UploadServer"/> on 127.0.0.1 (port 0), for
/// downloads in unit tests: the file is written into a share folder, scanned, and served at a
/// bytes-per-second limit; <see cref="Plan"/> downloads it from there.
/// </summary>
internal sealed class LoopbackUpload : IAsyncDisposable
{
    private readonly ShareIndex _share;

    private LoopbackUpload(ShareIndex share, UploadServer server, SharedFile file, TransferTracker uploads)
    {
        _share = share;
        Server = server;
        File = file;
        Uploads = uploads;
    }

    public UploadServer Server { get; }

    /// <summary>The file as the share index knows it: size, id and chunk digests.</summary>
    public SharedFile File { get; }

    /// <summary>The server's uploads, as its transfers view shows them.</summary>
    public TransferTracker Uploads { get; }

    /// <summary>A download of the file with this server as its only source.</summary>
    public DownloadPlan Plan => new(File.Name, (ulong)File.Size, File.Id, [new DownloadSource(new IPEndPoint(IPAddress.Loopback, Server.LocalEndPoint.Port), File.Name)]);

    /// <summary>
    /// Writes <paramref name="content"/> as <paramref name="name"/> in <paramref name="shareFolder"/>
    /// (dated a minute back, so the scan takes it as settled) and serves it at <paramref name="limit"/> bytes per second.
    /// </summary>
    public static async Task<LoopbackUpload> StartAsync(string shareFolder, string name, byte[] content, long limit, CancellationToken cancellationToken)
    {
        var path = Path.Combine(shareFolder, name);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await System.IO.File.WriteAllBytesAsync(path, content, cancellationToken);
        System.IO.File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-1));
        var share = new ShareIndex(shareFolder);
        try
        {
            await share.RescanAsync(cancellationToken);
            Assert.True(share.TryGet(name, out var file), $"the share index did not take {name}");
            var uploads = new TransferTracker();
            var server = new UploadServer(new IPEndPoint(IPAddress.Loopback, 0), share, uploads, limit, NullLogger.Instance);
            server.Start();
            return new LoopbackUpload(share, server, file, uploads);
        }
        catch
        {
            share.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _share.Dispose();
    }
}
