using System.Security.Cryptography;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>The resume record of a running download: rewritten at most once per interval, and on Flush.</summary>
public sealed class DownloadResumeRecordTests : IDisposable
{
    private const int Chunks = 20;
    private static readonly ContentId Id = new(SHA256.HashData("content"u8));
    private static readonly ulong Size = (ulong)Chunks * Limits.ChunkSize;

    private readonly TempFolder _folder = new();

    private string StatePath => Path.Combine(_folder.Path, "file.bin.part" + DownloadState.Suffix);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Marked_chunks_reach_the_file_only_on_flush_while_the_interval_has_not_passed()
    {
        var record = new ResumeRecord(StatePath, Id, Size, Chunks, [], Timeout.InfiniteTimeSpan);
        record.MarkWritten(3);
        record.MarkWritten(7);

        Assert.False(File.Exists(StatePath));
        Assert.Equal(2, record.StoredCount);

        record.Flush();
        Assert.Equal([3, 7], DownloadState.Read(StatePath, Id, Size, Chunks));
    }

    [Fact]
    public void With_a_zero_interval_every_marked_chunk_is_written_at_once()
    {
        var record = new ResumeRecord(StatePath, Id, Size, Chunks, [1], TimeSpan.Zero);
        record.MarkWritten(5);
        Assert.Equal([1, 5], DownloadState.Read(StatePath, Id, Size, Chunks));
        record.MarkWritten(0);
        Assert.Equal([0, 1, 5], DownloadState.Read(StatePath, Id, Size, Chunks));
        Assert.Equal(3, record.StoredCount);
    }

    [Fact]
    public void A_flush_with_nothing_new_leaves_the_file_alone()
    {
        var record = new ResumeRecord(StatePath, Id, Size, Chunks, [2, 4], Timeout.InfiniteTimeSpan);
        record.Flush();
        Assert.False(File.Exists(StatePath));

        record.MarkWritten(6);
        record.Flush();
        File.Delete(StatePath);
        record.Flush();
        Assert.False(File.Exists(StatePath));
    }
}
