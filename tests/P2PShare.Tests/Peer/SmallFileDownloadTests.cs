using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>What a small file's download costs: one connection, not two.</summary>
public sealed class SmallFileDownloadTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData((3 * Limits.ChunkSize) - 7)]
    public async Task A_small_file_is_fetched_over_the_hash_lists_connection_alone(int size)
    {
        var content = new byte[size];
        new Random(size).NextBytes(content);
        // Any second connection is turned away: only the first may serve.
        await using var source = new ScriptedSource(content, connection => connection == 0 ? ConnectionScript.Honest : ConnectionScript.Busy);
        var downloader = new Downloader(Path.Combine(_folder.Path, "out"), NullLogger.Instance);
        var transfer = new TransferTracker().Start(TransferDirection.Download, "test", "file.bin", size);

        var result = await downloader.DownloadAsync(source.Plan, transfer, null, TestContext.Current.CancellationToken);

        Assert.Equal(content, await File.ReadAllBytesAsync(result.Path, TestContext.Current.CancellationToken));
        Assert.Equal([(int)HashListMessage.ChunkCount((ulong)size)], source.GetsAnsweredPerConnection);
    }
}
