using Microsoft.Win32.SafeHandles;

namespace P2PShare.Peer;

/// <summary>
/// The <c>NAME.part</c> a download writes its verified chunks into, held open and locked
/// (<c>flock</c>, as for <see cref="FileShare.None"/>) so that no other process downloads into
/// it at the same time.
/// </summary>
/// <remarks>
/// Whole chunks are written with direct I/O where the file system allows it. A download is
/// written once and not read again soon, so copying it into the page cache buys nothing, and that
/// copy was the costliest and least predictable step of a fast download: on the reference
/// machine (BENCHMARKS.md) 2 GiB of 64 KiB writes through the page cache took anywhere from
/// 0.4 s to 4.5 s of kernel time from one run to the next (it depends on how recently the memory
/// they land in was used), and a 2 GiB <c>get</c> spent 1.3-2.6 s in the kernel; with direct
/// writes it spends 0.8-1.3 s, the writes themselves mostly waiting for the device. Direct
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
    private SafeFileHandle? _direct;

    private PartFile(SafeFileHandle handle, SafeFileHandle? direct)
    {
        Handle = handle;
        _direct = direct;
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
        return new(handle, directWrites ? DirectIo.TryOpenForWriting(folder, name, handle) : null);
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
    /// the offset and every piece's length are whole blocks (pieces are chunks received into
    /// <see cref="ChunkBuffer"/>s, whose memory is aligned), otherwise piece by piece through the
    /// page cache.
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

            for (var i = 0; i < pieces.Count; i++)
            {
                WriteThroughPageCache(pieces[i].Span, offset);
                offset += pieces[i].Length;
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

        Handle.Dispose();
    }
}
