namespace P2PShare.Directory.Search;

/// <summary>
/// File names as UTF-8 bytes, packed one after another into 1 MiB chunks, so a million names
/// cost their bytes and not a million string objects. A name is found again by the reference
/// <see cref="Append"/> returns (chunk number and offset in one int) and its length.
/// </summary>
internal sealed class NameArena
{
    private const int OffsetBits = 20;
    private const int ChunkSize = 1 << OffsetBits;
    private const int MaxChunks = int.MaxValue >> OffsetBits;

    private readonly List<byte[]> _chunks = [];
    private int _used = ChunkSize;

    /// <summary>Bytes allocated for names.</summary>
    public long AllocatedBytes => (long)_chunks.Count * ChunkSize;

    public int Append(ReadOnlySpan<byte> name)
    {
        if (name.Length > ChunkSize - _used)
        {
            if (_chunks.Count == MaxChunks)
            {
                throw new InvalidOperationException("the name arena is full");
            }

            _chunks.Add(new byte[ChunkSize]);
            _used = 0;
        }

        var reference = ((_chunks.Count - 1) << OffsetBits) | _used;
        name.CopyTo(_chunks[^1].AsSpan(_used));
        _used += name.Length;
        return reference;
    }

    public ReadOnlySpan<byte> Get(int reference, int length) =>
        _chunks[reference >>> OffsetBits].AsSpan(reference & (ChunkSize - 1), length);
}
