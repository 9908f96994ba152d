using P2PShare.Peer;

namespace P2PShare.Tests.Peer;

/// <summary>
/// The .part a download writes into: whole chunks through direct I/O where the file system has
/// it, everything else through the page cache, and the same bytes on disk either way.
/// </summary>
public sealed class PartFileTests : IDisposable
{
    private const int Chunk = 1024 * 1024;
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_direct_descriptor_is_a_second_descriptor_of_the_same_file_with_O_DIRECT_set()
    {
        var path = Path.Combine(_folder.Path, "f.part");
        using var file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        using var direct = DirectIo.TryOpenForWriting(file);
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
        using (var part = PartFile.Create(path, length, directWrites))
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
        using (var part = PartFile.Create(path, length, directWrites))
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
        using (var part = PartFile.Create(path, 20_000, directWrites: true))
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
        using var part = PartFile.Create(path, expected.Length, directWrites: true);
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
    public void A_part_held_open_cannot_be_opened_again()
    {
        var path = Path.Combine(_folder.Path, "f.part");
        using var part = PartFile.Create(path, Chunk, directWrites: true);
        Assert.Throws<IOException>(() => PartFile.OpenExisting(path, directWrites: true));
        Assert.Throws<IOException>(() => PartFile.Create(path, Chunk, directWrites: true));
        Assert.Equal(Chunk, new FileInfo(path).Length);
    }

    private static int DirectFlag => System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture is System.Runtime.InteropServices.Architecture.Arm64 ? 0x10000 : 0x4000;

    private bool DirectIoAvailable()
    {
        using var file = File.OpenHandle(Path.Combine(_folder.Path, "probe"), FileMode.Create, FileAccess.ReadWrite);
        using var direct = DirectIo.TryOpenForWriting(file);
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
