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

    /// <summary>The highest message type of version 1 (CHUNK_MAP); 0 and anything above are unknown (ERROR 5).</summary>
    public const byte MaxMessageType = (byte)MessageType.ChunkMap;

    /// <summary>Most source records a SOURCES message carries.</summary>
    public const int MaxSources = 1000;

    /// <summary>Most items one HOLD carries.</summary>
    public const int MaxHoldItems = 1024;

    /// <summary>A HOLD item: 32-byte id, <c>u64 size</c>, <c>u32 held</c>.</summary>
    public const int HoldItemLength = IdLength + 8 + 4;

    /// <summary>The shortest SOURCES record: family, IPv4 address, <c>u16 port</c>, <c>u64 size</c>, <c>u32 held</c>.</summary>
    public const int MinSourceRecordLength = 1 + 4 + 2 + 8 + 4;

    /// <summary>The longest SOURCES record: the same with an IPv6 address.</summary>
    public const int MaxSourceRecordLength = 1 + 16 + 2 + 8 + 4;

    /// <summary>Chunk size of the content id (and later of swarm downloads).</summary>
    public const int ChunkSize = 1024 * 1024;

    /// <summary>Length of a content id and of a chunk digest: SHA-256.</summary>
    public const int IdLength = 32;

    /// <summary>DATA payload: <c>u64 offset, u64 length</c>.</summary>
    public const int DataHeaderPayloadLength = 16;

    /// <summary>The smallest possible encoded file entry: empty-name string, u64 size, id.</summary>
    internal const int MinFileEntryLength = 2 + 8 + IdLength;
}
