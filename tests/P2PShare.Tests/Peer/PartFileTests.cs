using P2PShare.Peer;

namespace P2PShare.Tests.Peer;

/// <summary>
/// The .part a download writes into: through the page cache with write-behind by default, whole
/// chunks through direct I/O where asked and the file system has it, and the same bytes on disk
/// either way.
/// </summary>
public sealed class PartFileTests : IDisposable
{
    private const int Chunk = 1024 * 1024;
    private readonly TempFolder _folder = new();
    private readonly DownloadFolder _downloads;

    public PartFileTests()
    {
        _downloads = DownloadFolder.Open(_folder.Path, string.Empty);
    }

    public void Dispose()
    {
        _downloads.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public void A_direct_descriptor_is_a_second_descriptor_of_the_same_file_with_O_DIRECT_set()
    {
        var path = Path.Combine(_folder.Path, "f.part");
        using var file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        using var direct = DirectIo.TryOpenForWriting(_downloads, "f.part", file);
        if (direct is null)
        {
            Assert.Skip($"the file system of {_folder.Path} has no direct I/O");
        }

        Assert.NotEqual(file.DangerousGetHandle(), direct.DangerousGetHandle());
        var flags = OpenFlags(direct);
        Assert.NotEqual(0, flags & DirectFlag);
        Assert.Equal(1, flags & 3); // O_WRONLY
        // The buffered handle keeps its own flags: the two are separate open file descriptions.
        Assert.Equal(0, OpenFlags(file) & DirectFlag);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Whole_chunks_and_a_short_last_chunk_land_at_their_offsets(bool directWrites)
    {
        const int length = (3 * Chunk) + 12345;
        var expected = Random(length, seed: 1);
        var path = Path.Combine(_folder.Path, "f.part");
        using (var part = Create(length, directWrites))
        {
            Assert.Equal(directWrites && DirectIoAvailable(), part.WritesDirectly);
            var buffer = new ChunkBuffer(Chunk);
            // Out of order, as verifiers finish them; the short last chunk first.
            foreach (var chunk in new[] { 3, 1, 0, 2 })
            {
                var offset = chunk * Chunk;
                var count = Math.Min(Chunk, length - offset);
                expected.AsSpan(offset, count).CopyTo(buffer.Span(count));
                part.Write([buffer.Memory(count)], offset);
            }

            Assert.Equal(length, RandomAccess.GetLength(part.Handle));
        }

        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Chunks_that_follow_each_other_are_written_in_one_go_at_their_offsets(bool directWrites)
    {
        // Chunks 1 and 2 as one write (whole blocks: direct), chunks 3 and 4 as another (the
        // short last chunk in it: through the page cache), then chunk 0.
        const int length = (4 * Chunk) + 777;
        var expected = Random(length, seed: 4);
        var path = Path.Combine(_folder.Path, "f.part");
        using (var part = Create(length, directWrites))
        {
            var buffers = Enumerable.Range(0, 5).Select(_ => new ChunkBuffer(Chunk)).ToArray();
            var pieces = new ReadOnlyMemory<byte>[5];
            for (var chunk = 0; chunk < 5; chunk++)
            {
                var count = Math.Min(Chunk, length - (chunk * Chunk));
                expected.AsSpan(chunk * Chunk, count).CopyTo(buffers[chunk].Span(count));
                pieces[chunk] = buffers[chunk].Memory(count);
            }

            part.Write(pieces[1..3], Chunk);
            part.Write(pieces[3..5], 3L * Chunk);
            part.Write([pieces[0]], 0);
            Assert.Equal(directWrites && DirectIoAvailable(), part.WritesDirectly);
        }

        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void A_write_the_device_cannot_take_directly_goes_through_the_page_cache()
    {
        // Neither offset nor length on a block boundary: not a direct write, but still written.
        var path = Path.Combine(_folder.Path, "f.part");
        var bytes = Random(10_000, seed: 2);
        using (var part = Create(20_000, directWrites: true))
        {
            var buffer = new ChunkBuffer(Chunk);
            bytes.CopyTo(buffer.Span(bytes.Length));
            part.Write([buffer.Memory(bytes.Length)], 4097);
            Assert.Equal(DirectIoAvailable(), part.WritesDirectly);
        }

        var onDisk = File.ReadAllBytes(path);
        Assert.Equal(20_000, onDisk.Length);
        Assert.Equal(bytes, onDisk.AsSpan(4097, bytes.Length).ToArray());
        Assert.All(onDisk.AsSpan(0, 4097).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Chunks_written_directly_read_back_through_the_buffered_handle()
    {
        // Resuming re-reads chunks through the buffered handle: it must see the direct writes.
        var path = Path.Combine(_folder.Path, "f.part");
        var expected = Random(2 * Chunk, seed: 3);
        using var part = Create(expected.Length, directWrites: true);
        var buffer = new ChunkBuffer(Chunk);
        var read = new byte[Chunk];
        for (var chunk = 0; chunk < 2; chunk++)
        {
            // Read first, so the page cache holds the old (zero) bytes when the write lands.
            Assert.Equal(Chunk, RandomAccess.Read(part.Handle, read, chunk * Chunk));
            expected.AsSpan(chunk * Chunk, Chunk).CopyTo(buffer.Span(Chunk));
            part.Write([buffer.Memory(Chunk)], chunk * Chunk);
            Assert.Equal(Chunk, RandomAccess.Read(part.Handle, read, chunk * Chunk));
            Assert.Equal(expected.AsSpan(chunk * Chunk, Chunk).ToArray(), read);
        }
    }

    [Fact]
    public void A_part_held_open_is_neither_created_again_nor_locked_by_another_open()
    {
        var path = Path.Combine(_folder.Path, "f.part");
        using var part = Create(Chunk, directWrites: true);
        Assert.Null(PartFile.TryCreate(_downloads, "f.part", Chunk, directWrites: true));
        // .NET's own opens take the same kind of lock, so they fail as well.
        Assert.Throws<IOException>(() => File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite));
        using var other = _downloads.OpenExisting("f.part", write: true, _downloads.Look("f.part")!.Value);
        Assert.NotNull(other);
        Assert.False(LibC.TryLockExclusive(other));
        Assert.Equal(Chunk, new FileInfo(path).Length);
    }

    [Fact]
    public void Symlinks_in_the_downloads_folder_are_not_followed_by_the_part_name_taken_by_a_link()
    {
        var outside = Path.Combine(_folder.Path, "outside");
        File.WriteAllBytes(outside, [1, 2, 3]);
        File.CreateSymbolicLink(Path.Combine(_folder.Path, "f.part"), outside);

        Assert.Null(PartFile.TryCreate(_downloads, "f.part", Chunk, directWrites: true));

        Assert.Equal([1, 2, 3], File.ReadAllBytes(outside));
    }

    [Fact]
    public void Symlinks_in_the_downloads_folder_are_not_followed_by_the_direct_descriptor_which_must_be_the_same_file()
    {
        var path = Path.Combine(_folder.Path, "f.part");
        using var file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        if (!DirectIoAvailable())
        {
            Assert.Skip($"the file system of {_folder.Path} has no direct I/O");
        }

        // The name now a link to the very file the handle has open: not followed all the same.
        var moved = Path.Combine(_folder.Path, "moved");
        File.Move(path, moved);
        File.CreateSymbolicLink(path, moved);
        Assert.Null(DirectIo.TryOpenForWriting(_downloads, "f.part", file));

        // The name now another regular file: not the file the handle has open.
        File.Delete(path);
        File.WriteAllBytes(path, [9]);
        Assert.Null(DirectIo.TryOpenForWriting(_downloads, "f.part", file));

        // Back to the handle's own file: opened.
        File.Delete(path);
        File.Move(moved, path);
        using var direct = DirectIo.TryOpenForWriting(_downloads, "f.part", file);
        Assert.NotNull(direct);
    }

    [Fact]
    public void A_large_part_written_through_the_page_cache_lands_whole_and_write_behind_keeps_neither_its_lock_nor_a_descriptor()
    {
        var length = (int)WriteBehind.MinFileLength + (3 * Chunk) + 777;
        var expected = Random(length, seed: 4);
        var path = Path.Combine(_folder.Path, "f.part");
        var chunks = (length + Chunk - 1) / Chunk;
        using (var part = Create(length, directWrites: false))
        {
            Assert.False(part.WritesDirectly);
            // Write-behind works on a descriptor of its own: two of this file are open.
            Assert.Equal(2, DescriptorsOf(path));
            var buffers = Enumerable.Range(0, 4).Select(_ => new ChunkBuffer(Chunk)).ToArray();
            // Runs of up to four chunks, from the end backwards, as a writer may get them.
            for (var first = chunks - (chunks % 4 == 0 ? 4 : chunks % 4); first >= 0; first -= 4)
            {
                var pieces = new List<ReadOnlyMemory<byte>>();
                for (var chunk = first; chunk < Math.Min(first + 4, chunks); chunk++)
                {
                    var count = Math.Min(Chunk, length - (chunk * Chunk));
                    expected.AsSpan(chunk * Chunk, count).CopyTo(buffers[chunk - first].Span(count));
                    pieces.Add(buffers[chunk - first].Memory(count));
                }

                part.Write(pieces, (long)first * Chunk);
            }
        }

        // The lock went with the download's descriptor, though write-behind may still be at work.
        using (var other = _downloads.OpenExisting("f.part", write: true, _downloads.Look("f.part")!.Value))
        {
            Assert.NotNull(other);
            Assert.True(LibC.TryLockExclusive(other));
        }

        Assert.Equal(expected, File.ReadAllBytes(path));
        // And write-behind closes its own descriptor once the last range is on disk.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DescriptorsOf(path) > 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }

        Assert.Equal(0, DescriptorsOf(path));
    }

    [Fact]
    public void A_small_part_gets_no_write_behind()
    {
        var path = Path.Combine(_folder.Path, "f.part");
        using var part = Create(WriteBehind.MinFileLength - 1, directWrites: false);
        Assert.Equal(1, DescriptorsOf(path));
    }

    /// <summary>How many of this process's descriptors have the file at <paramref name="path"/> open.</summary>
    private static int DescriptorsOf(string path)
    {
        var count = 0;
        foreach (var link in System.IO.Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(link).LinkTarget == path)
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // Closed meanwhile.
            }
        }

        return count;
    }

    private PartFile Create(long length, bool directWrites) =>
        PartFile.TryCreate(_downloads, "f.part", length, directWrites) ?? throw new InvalidOperationException("f.part exists");

    private static int DirectFlag => System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture is System.Runtime.InteropServices.Architecture.Arm64 ? 0x10000 : 0x4000;

    private bool DirectIoAvailable()
    {
        using var file = File.OpenHandle(Path.Combine(_folder.Path, "probe"), FileMode.Create, FileAccess.ReadWrite);
        using var direct = DirectIo.TryOpenForWriting(_downloads, "probe", file);
        return direct is not null;
    }

    /// <summary>The open flags Linux reports for a descriptor (octal in /proc/self/fdinfo).</summary>
    private static int OpenFlags(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        var line = File.ReadLines($"/proc/self/fdinfo/{handle.DangerousGetHandle()}").First(l => l.StartsWith("flags:", StringComparison.Ordinal));
        return Convert.ToInt32(line["flags:".Length..].Trim(), 8);
    }

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
