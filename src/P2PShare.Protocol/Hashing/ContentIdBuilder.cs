using System.Security.Cryptography;

namespace P2PShare.Protocol;

/// <summary>
/// Computes a content id incrementally as bytes arrive: SHA-256 of each 1 MiB chunk, and SHA-256
/// over the concatenated chunk digests. An empty input has no chunks, so its id is SHA-256 of
/// nothing. Used both to hash shared files and to verify a download while it is received.
/// </summary>
public sealed class ContentIdBuilder : IDisposable
{
    private readonly IncrementalHash _chunk = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _digests = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<byte>? _chunkDigests;
    private int _chunkFill;
    private bool _finished;

    /// <param name="keepChunkDigests">Also keep every chunk's digest (for a HASH_LIST), readable after <see cref="Finish"/>.</param>
    public ContentIdBuilder(bool keepChunkDigests = false)
    {
        _chunkDigests = keepChunkDigests ? [] : null;
    }

    /// <summary>The chunk digests, concatenated; only when asked for in the constructor.</summary>
    public byte[] ChunkDigests => _chunkDigests?.ToArray() ?? throw new InvalidOperationException("chunk digests were not kept");

    /// <summary>Total bytes appended so far.</summary>
    public long Length { get; private set; }

    public void Append(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        while (!data.IsEmpty)
        {
            var take = Math.Min(data.Length, Limits.ChunkSize - _chunkFill);
            _chunk.AppendData(data[..take]);
            _chunkFill += take;
            Length += take;
            data = data[take..];
            if (_chunkFill == Limits.ChunkSize)
            {
                CloseChunk();
            }
        }
    }

    /// <summary>Finishes the id; the builder cannot be used afterwards.</summary>
    public ContentId Finish()
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        if (_chunkFill > 0)
        {
            CloseChunk();
        }

        Span<byte> id = stackalloc byte[Limits.IdLength];
        _digests.GetHashAndReset(id);
        _finished = true;
        return new ContentId(id);
    }

    public void Dispose()
    {
        _finished = true;
        _chunk.Dispose();
        _digests.Dispose();
    }

    private void CloseChunk()
    {
        Span<byte> digest = stackalloc byte[Limits.IdLength];
        _chunk.GetHashAndReset(digest);
        _digests.AppendData(digest);
        _chunkDigests?.AddRange(digest);
        _chunkFill = 0;
    }
}
