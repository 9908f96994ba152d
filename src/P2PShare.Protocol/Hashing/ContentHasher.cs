using System.Buffers;

namespace P2PShare.Protocol;

/// <summary>Content ids of whole files and byte arrays (see <see cref="ContentIdBuilder"/>).</summary>
public static class ContentHasher
{
    public static ContentId Compute(ReadOnlySpan<byte> data)
    {
        using var builder = new ContentIdBuilder();
        builder.Append(data);
        return builder.Finish();
    }

    public static async Task<ContentId> ComputeAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        var (id, _) = await ComputeWithChunksAsync(stream, keepChunkDigests: false, cancellationToken).ConfigureAwait(false);
        return id;
    }

    /// <summary>The id and, when <paramref name="keepChunkDigests"/>, the concatenated chunk digests (empty otherwise).</summary>
    public static async Task<(ContentId Id, byte[] ChunkDigests)> ComputeWithChunksAsync(Stream stream, bool keepChunkDigests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var builder = new ContentIdBuilder(keepChunkDigests);
        var buffer = ArrayPool<byte>.Shared.Rent(Limits.ChunkSize);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(0, Limits.ChunkSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                builder.Append(buffer.AsSpan(0, read));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var id = builder.Finish();
        return (id, keepChunkDigests ? builder.ChunkDigests : []);
    }

    public static async Task<ContentId> ComputeFileAsync(string path, CancellationToken cancellationToken = default)
    {
        var (id, _) = await ComputeFileWithChunksAsync(path, keepChunkDigests: false, cancellationToken).ConfigureAwait(false);
        return id;
    }

    public static async Task<(ContentId Id, byte[] ChunkDigests)> ComputeFileWithChunksAsync(string path, bool keepChunkDigests, CancellationToken cancellationToken = default)
    {
        var stream = OpenForReading(path);
        await using (stream.ConfigureAwait(false))
        {
            return await ComputeWithChunksAsync(stream, keepChunkDigests, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Opens a file to read it from start to end (hashing or sending it): asynchronous, no
    /// buffering of its own, and without keeping others from writing, renaming or deleting it.
    /// </summary>
    public static FileStream OpenForReading(string path) => new(path, new FileStreamOptions
    {
        Mode = FileMode.Open,
        Access = FileAccess.Read,
        Share = FileShare.ReadWrite | FileShare.Delete,
        Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
        BufferSize = 0,
    });
}
