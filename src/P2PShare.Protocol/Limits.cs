namespace P2PShare.Protocol;

/// <summary>The protocol's fixed sizes and bounds (PROTOCOL.md, "Limits").</summary>
public static class Limits
{
    /// <summary><c>u8 type</c> + <c>u32 payload length</c>.</summary>
    public const int FrameHeaderLength = 5;

    /// <summary>Largest control payload accepted; a longer declared length is refused before any of it is read.</summary>
    public const int MaxControlPayload = 16 * 1024 * 1024;

    /// <summary>Largest encoded file name, in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 1024;

    /// <summary>Largest string the <c>u16</c> length prefix can carry.</summary>
    public const int MaxStringBytes = ushort.MaxValue;

    /// <summary>Most file entries a RESULTS message carries.</summary>
    public const int MaxSearchResults = 1000;

    /// <summary>Chunk size of the content id (and later of swarm downloads).</summary>
    public const int ChunkSize = 1024 * 1024;

    /// <summary>Length of a content id and of a chunk digest: SHA-256.</summary>
    public const int IdLength = 32;

    /// <summary>DATA payload: <c>u64 offset, u64 length</c>.</summary>
    public const int DataHeaderPayloadLength = 16;

    /// <summary>The smallest possible encoded file entry: empty-name string, u64 size, id.</summary>
    internal const int MinFileEntryLength = 2 + 8 + IdLength;
}
