using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using P2PShare.Peer;
using P2PShare.Protocol;
using P2PShare.Testing;

namespace P2PShare.Tests.Peer;

/// <summary>The resume record of a running download: rewritten in place, at most once per interval, and on Flush.</summary>
public sealed class DownloadResumeRecordTests : IDisposable
{
    private const int Chunks = 20;
    private static readonly ContentId Id = new(SHA256.HashData("content"u8));
    private static readonly ulong Size = (ulong)Chunks * Limits.ChunkSize;

    private readonly TempFolder _folder = new();
    private TmpfsMount? _disk;

    private string StatePath => Path.Combine(_folder.Path, "file.bin.part" + ResumeRecordFormat.Suffix);

    public void Dispose()
    {
        _disk?.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public void Marked_chunks_reach_the_file_only_on_flush_while_the_interval_has_not_passed()
    {
        using var file = CreateRecordFile(StatePath);
        var record = new ResumeRecord(file, 1, Id, Size, Chunks, [], Timeout.InfiniteTimeSpan);
        record.MarkWritten(3);
        record.MarkWritten(7);

        Assert.Equal([], Read(StatePath));
        Assert.Equal(2, record.StoredCount);

        record.Flush();
        Assert.Equal([3, 7], Read(StatePath));
    }

    [Fact]
    public void With_a_zero_interval_every_marked_chunk_is_written_at_once_in_alternate_slots()
    {
        using var file = CreateRecordFile(StatePath);
        var record = new ResumeRecord(file, 1, Id, Size, Chunks, [1], TimeSpan.Zero);
        record.MarkWritten(5);
        Assert.Equal([1, 5], Read(StatePath));
        record.MarkWritten(0);
        Assert.Equal([0, 1, 5], Read(StatePath));
        Assert.Equal(3, record.StoredCount);
        Assert.Equal(3UL, ResumeRecordFormat.Decode(File.ReadAllBytes(StatePath), Id, Size, Chunks)!.Sequence);
        Assert.Equal(ResumeRecordFormat.FileLength(Chunks), new FileInfo(StatePath).Length);
    }

    [Fact]
    public void A_flush_with_nothing_new_leaves_the_file_alone()
    {
        using var file = CreateRecordFile(StatePath);
        var before = File.ReadAllBytes(StatePath);
        var record = new ResumeRecord(file, 1, Id, Size, Chunks, [2, 4], Timeout.InfiniteTimeSpan);
        record.Flush();
        Assert.Equal(before, File.ReadAllBytes(StatePath));

        record.MarkWritten(6);
        record.Flush();
        var after = File.ReadAllBytes(StatePath);
        record.Flush();
        Assert.Equal(after, File.ReadAllBytes(StatePath));
    }

    [Fact]
    public void Disk_full_the_record_is_still_rewritten_in_place()
    {
        _disk = TmpfsMount.TryCreate(1024 * 1024, out var reason);
        if (_disk is null)
        {
            Assert.Skip(reason);
        }

        var path = Path.Combine(_disk.Path, "file.bin.part" + ResumeRecordFormat.Suffix);
        using var file = CreateRecordFile(path);
        var record = new ResumeRecord(file, 1, Id, Size, Chunks, [], TimeSpan.Zero);
        _disk.Fill("filler");
        Assert.Throws<IOException>(() => File.WriteAllBytes(Path.Combine(_disk.Path, "one more"), new byte[4096]));

        for (var chunk = 0; chunk < Chunks; chunk++)
        {
            record.MarkWritten(chunk);
        }

        Assert.Equal(Enumerable.Range(0, Chunks), Read(path));
    }

    /// <summary>A record file listing no chunk, as a new download makes it, open for writing.</summary>
    private static SafeFileHandle CreateRecordFile(string path)
    {
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
        RandomAccess.Write(handle, ResumeRecordFormat.EncodeFile(Id, Size, Chunks, []), 0);
        return handle;
    }

    private static IReadOnlyList<int>? Read(string path) =>
        ResumeRecordFormat.Decode(File.ReadAllBytes(path), Id, Size, Chunks)?.Chunks;
}
