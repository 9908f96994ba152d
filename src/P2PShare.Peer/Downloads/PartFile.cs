using Microsoft.Win32.SafeHandles;

namespace P2PShare.Peer;

/// <summary>
/// The <c>NAME.part</c> a download writes its verified chunks into, held open and locked
/// (<c>flock</c>, as for <see cref="FileShare.None"/>) so that no other process downloads into
/// it at the same time.
/// </summary>
/// <remarks>
/// Chunks go through the page cache by default, as <c>curl -o</c>'s writes do, with
/// <see cref="WriteBehindFile"/> sending a large file on to the disk and dropping it from the
/// cache behind the writer. Direct I/O (<see cref="DownloadOptions.DirectWrites"/>) was the
/// default before: it spares the copy into the page cache, but each write waits for the device,
/// and measured side by side with <c>curl</c> into the same folder (BENCHMARKS.md, "Writes") it
/// lost on this VM's disk and lost several times over on a disk slower than the network. Direct
/// writes need the memory, the offset and the length aligned to the device's block
/// (<see cref="Alignment"/> covers the usual ones): chunks received into a
/// <see cref="ChunkBuffer"/> qualify. A file's short last chunk, everything on file systems
/// without direct I/O, and everything after a direct write refused as misaligned go through the
/// page cache.
/// </remarks>
internal sealed class PartFile : IDisposable
{
    /// <summary>The memory, offset and length alignment of direct writes.</summary>
    public const int Alignment = 4096;

    private const int PageCachePiece = 64 * 1024;

    // One write at a time (a download has one writer task anyway): concurrent writers to one
    // file would queue on its inode lock in the kernel; and the switch away from direct I/O
    // must not happen under a write.
    private readonly Lock _writeLock = new();
    private readonly WriteBehindFile? _writeBehind;
    private SafeFileHandle? _direct;

    private PartFile(SafeFileHandle handle, SafeFileHandle? direct, WriteBehindFile? writeBehind)
    {
        Handle = handle;
        _direct = direct;
        _writeBehind = writeBehind;
    }

    /// <summary>The locked, buffered handle: for the file's length and for reading chunks back.</summary>
    public SafeFileHandle Handle { get; }

    /// <summary>Whether whole chunks still go to the device directly.</summary>
    public bool WritesDirectly
    {
        get
        {
            lock (_writeLock)
            {
                return _direct is not null;
            }
        }
    }

    /// <summary>
    /// Takes <paramref name="handle"/>, this download's own <paramref name="name"/> in
    /// <paramref name="folder"/>, open for reading and writing and locked (see
    /// <see cref="TryCreate"/> and <see cref="DownloadFiles"/>); it is disposed with the part.
    /// </summary>
    public static PartFile Take(DownloadFolder folder, string name, SafeFileHandle handle, bool directWrites)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var direct = directWrites ? DirectIo.TryOpenForWriting(folder, name, handle) : null;
        return new(handle, direct, direct is null ? WriteBehindFile.TryStart(folder, name, handle) : null);
    }

    /// <summary>
    /// Creates <paramref name="name"/> in <paramref name="folder"/> as a new <c>.part</c> of
    /// <paramref name="length"/> bytes, exclusively (nothing that is there, a link included, is
    /// ever opened or replaced) and locked (<c>flock</c>, as .NET locks for
    /// <see cref="FileShare.None"/>), so that no other process downloads into it meanwhile;
    /// null when the name is taken. The file is sparse: see <see cref="DownloadFiles.ReserveSpace"/>.
    /// </summary>
    public static PartFile? TryCreate(DownloadFolder folder, string name, long length, bool directWrites)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var handle = folder.CreateNew(name);
        if (handle is null)
        {
            return null;
        }

        try
        {
            if (!LibC.TryLockExclusive(handle))
            {
                throw new IOException($"{folder.PathOf(name)} was locked by another process as soon as it was made", LibC.WouldBlock);
            }

            RandomAccess.SetLength(handle, length);
            return Take(folder, name, handle, directWrites);
        }
        catch
        {
            // Made here a moment ago, and holding nothing: not a file to leave behind.
            folder.DeleteIfSame(name, handle);
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes <paramref name="pieces"/> one after the other from <paramref name="offset"/>,
    /// synchronously (the caller is the download's writer task): with one direct write when
    /// writing directly and the offset and every piece's length are whole blocks (pieces are
    /// chunks received into <see cref="ChunkBuffer"/>s, whose memory is aligned), otherwise piece
    /// by piece through the page cache, the range then noted for write-behind.
    /// </summary>
    public void Write(IReadOnlyList<ReadOnlyMemory<byte>> pieces, long offset)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        lock (_writeLock)
        {
            if (_direct is { } direct && offset % Alignment == 0 && WholeBlocks(pieces))
            {
                try
                {
                    RandomAccess.Write(direct, pieces, offset);
                    return;
                }
                catch (IOException ex) when (ex.HResult == LibC.InvalidArgument)
                {
                    // The device wants a larger alignment than ours: the page cache from now on.
                    direct.Dispose();
                    _direct = null;
                }
            }

            var start = offset;
            for (var i = 0; i < pieces.Count; i++)
            {
                WriteThroughPageCache(pieces[i].Span, offset);
                offset += pieces[i].Length;
            }

            _writeBehind?.Written(start, offset - start);
        }
    }

    /// <summary>
    /// Waits until what was written is on the device, with what is needed to read it back
    /// (<c>fdatasync</c>): for <c>get --fsync</c>, before the file takes its name.
    /// </summary>
    public void SyncToDisk()
    {
        lock (_writeLock)
        {
            var errno = LibC.DataSync(Handle);
            if (errno != 0)
            {
                throw LibC.Failure("cannot flush the download to the disk", errno);
            }
        }
    }

    private static bool WholeBlocks(IReadOnlyList<ReadOnlyMemory<byte>> pieces)
    {
        for (var i = 0; i < pieces.Count; i++)
        {
            if (pieces[i].Length % Alignment != 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Writes in pieces of 64 KiB: on Linux (ext4), filling a still sparse file with 1 MiB
    /// writes through the page cache costs several times the kernel time of 64 KiB writes.
    /// </summary>
    private void WriteThroughPageCache(ReadOnlySpan<byte> data, long offset)
    {
        while (!data.IsEmpty)
        {
            var piece = data[..Math.Min(data.Length, PageCachePiece)];
            RandomAccess.Write(Handle, piece, offset);
            data = data[piece.Length..];
            offset += piece.Length;
        }
    }

    public void Dispose()
    {
        lock (_writeLock)
        {
            _direct?.Dispose();
            _direct = null;
        }

        _writeBehind?.Close();
        Handle.Dispose();
    }
}
