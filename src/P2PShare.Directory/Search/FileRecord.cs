using P2PShare.Protocol;

namespace P2PShare.Directory.Search;

/// <summary>
/// One registered file as the <see cref="FileTable"/> stores it: a plain struct in one big
/// array, its name in the <see cref="NameArena"/>, its peer as a slot number.
/// </summary>
internal struct FileRecord
{
    /// <summary>The peer slot that owns the entry, or <see cref="Dead"/> once it was removed.</summary>
    public const int Dead = -1;

    public ContentId Id;
    public ulong Size;
    public int NameReference;
    public int Peer;

    /// <summary>
    /// The next entry with the same <see cref="Id"/> in id order, the newest pointing back to the
    /// oldest (a ring; see <see cref="ContentIdIndex"/>). Fits in the record's padding: the
    /// record stays 56 bytes.
    /// </summary>
    public int NextSameId;

    public ushort NameLength;

    /// <summary>The name is all ASCII, so it can be matched byte by byte.</summary>
    public bool IsAscii;

    public readonly bool IsAlive => Peer != Dead;
}
