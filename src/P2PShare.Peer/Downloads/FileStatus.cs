using System.Runtime.InteropServices;

namespace P2PShare.Peer;

/// <summary>The fields of a <c>struct statx</c> a download looks at (its layout is the same on every architecture; the fields are in the machine's byte order).</summary>
internal readonly record struct FileStatus(uint Mode, uint Links, uint Owner, ulong Device, ulong Inode, long Length, long AllocatedBytes)
{
    private const uint TypeMask = 0xF000; // S_IFMT
    private const uint RegularType = 0x8000; // S_IFREG
    private const uint LinkType = 0xA000; // S_IFLNK
    private const uint FolderType = 0x4000; // S_IFDIR

    public bool IsRegularFile => (Mode & TypeMask) == RegularType;

    public bool IsSymbolicLink => (Mode & TypeMask) == LinkType;

    public bool IsFolder => (Mode & TypeMask) == FolderType;

    /// <summary>What the entry is, in words, for messages.</summary>
    public string Kind => IsRegularFile ? "a file" : IsSymbolicLink ? "a symbolic link" : IsFolder ? "a folder" : "a special file";

    /// <summary>Whether this is the same file as <paramref name="other"/> (device and inode).</summary>
    public bool IsSameFile(in FileStatus other) => Device == other.Device && Inode == other.Inode;

    public static FileStatus Read(ReadOnlySpan<byte> statx) => new(
        Mode: MemoryMarshal.Read<ushort>(statx[28..]),
        Links: MemoryMarshal.Read<uint>(statx[16..]),
        Owner: MemoryMarshal.Read<uint>(statx[20..]),
        Device: ((ulong)MemoryMarshal.Read<uint>(statx[136..]) << 32) | MemoryMarshal.Read<uint>(statx[140..]),
        Inode: MemoryMarshal.Read<ulong>(statx[32..]),
        Length: (long)MemoryMarshal.Read<ulong>(statx[40..]),
        AllocatedBytes: (long)MemoryMarshal.Read<ulong>(statx[48..]) * 512);
}
