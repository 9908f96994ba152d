namespace P2PShare.Protocol;

/// <summary>
/// The <c>u8 type</c> of a frame. Type 2 means SEARCH on a directory connection and GET on a peer
/// connection (the original specification's numbering), so decoding needs a <see cref="Channel"/>.
/// </summary>
public enum MessageType : byte
{
    Register = 1,
    SearchOrGet = 2,
    Results = 3,
    Data = 4,
    Error = 5,
    Ok = 6,
    Ping = 7,
    Pong = 8,
    Add = 9,
    Remove = 10,
    Hashes = 11,
    HashList = 12,
    Locate = 13,
    Sources = 14,
    Hold = 15,
    Chunks = 16,
    ChunkMap = 17,
}

/// <summary>Which kind of connection a frame travels on; it decides what type 2 means.</summary>
public enum Channel
{
    /// <summary>Peer ↔ directory server: type 2 is SEARCH.</summary>
    Directory,

    /// <summary>Peer ↔ peer: type 2 is GET.</summary>
    Peer,
}
