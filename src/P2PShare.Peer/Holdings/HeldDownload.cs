using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// A download this peer holds in part, as other downloaders see it: the content, its trusted
/// chunk digests (for HASH_LIST), the chunks verified and written so far (for CHUNK_MAP and to
/// decide which ranges a GET may have), and a read-only descriptor of the very file they are
/// written to. The descriptor was opened on the file the download claimed, so it reads that
/// file even after the complete download is renamed to its name; it is read by offset, so every
/// upload shares it.
/// </summary>
public sealed class HeldDownload : IDisposable
{
    private readonly byte[] _digests;

    /// <param name="fileName">The name being downloaded, for logs and the transfers view.</param>
    /// <param name="size">The content's size in bytes.</param>
    /// <param name="id">The content id.</param>
    /// <param name="digests">The content's trusted chunk digests, concatenated.</param>
    /// <param name="stored">The chunks verified and written; the download adds to it as it writes.</param>
    /// <param name="reader">A read-only descriptor of the download's file; this object owns it.</param>
    public HeldDownload(string fileName, ulong size, ContentId id, ReadOnlySpan<byte> digests, ChunkSet stored, Microsoft.Win32.SafeHandles.SafeFileHandle reader)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(reader);
        if (digests.Length != stored.ChunkCount * Limits.IdLength)
        {
            throw new ArgumentException($"{digests.Length / Limits.IdLength} digests for {stored.ChunkCount} chunks", nameof(digests));
        }

        FileName = fileName;
        Size = size;
        Id = id;
        _digests = digests.ToArray();
        Stored = stored;
        Reader = reader;
    }

    public string FileName { get; }

    public ulong Size { get; }

    public ContentId Id { get; }

    public ChunkSet Stored { get; }

    /// <summary>The chunks the download is fetching now, for CHUNK_MAP; null when it does not say.</summary>
    public IChunksInFlight? InFlight { get; init; }

    /// <summary>The concatenated chunk digests the content id was computed from.</summary>
    public byte[] ChunkDigests => _digests;

    /// <summary>
    /// The file, for reading by offset. Not a stream handed to sendfile: .NET sends a file only
    /// from a stream opened asynchronously, and opening the .part again by path would take a
    /// shared lock that its download's exclusive one refuses.
    /// </summary>
    public Microsoft.Win32.SafeHandles.SafeFileHandle Reader { get; }

    /// <summary>
    /// Whether every byte of <paramref name="length"/> bytes from <paramref name="offset"/> (a
    /// range within the file) lies in chunks verified and written.
    /// </summary>
    public bool Holds(ulong offset, ulong length)
    {
        if (length == 0)
        {
            return true;
        }

        var first = (int)(offset / Limits.ChunkSize);
        var last = (int)((offset + length - 1) / Limits.ChunkSize);
        return Stored.ContainsRange(first, last);
    }

    /// <summary>Closes the descriptor; a read under way finishes (the handle counts its users), later ones fail and end their upload.</summary>
    public void Dispose() => Reader.Dispose();
}
