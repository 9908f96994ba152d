using System.Buffers.Binary;
using System.Security.Cryptography;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// The layout of the resume record next to <c>NAME.part</c> (<c>NAME.part.state</c>): which
/// chunks of which content are verified. The file holds two copies of the record, slots 0 and
/// 1, each with a sequence number and a SHA-256 of itself; a rewrite goes in place into the
/// slot holding the older copy, so the file never changes size (it needs no new disk space, and
/// can be rewritten on a full disk) and a rewrite cut short spoils only its own slot: the other
/// still holds the copy before it. The newest valid slot is the record; a file whose slots are
/// both torn or foreign is no record — and even a valid record is only a hint: resuming
/// re-checks every chunk it lists against the hash list before trusting it.
/// </summary>
/// <remarks>
/// A slot (big-endian): "P2PSTATE" (8 bytes), u32 version = 2, u64 sequence, 32-byte content id,
/// u64 size, u32 chunk count, ceil(count / 8) bytes of bitmap (chunk i is bit i % 8 of byte
/// i / 8), 32-byte SHA-256 of the slot's preceding bytes. The file is slot 0 followed by slot 1,
/// both of the same length. Version 1 (one record, no sequence, replaced through a temporary
/// file) is not read: a .part left by it is left alone.
/// </remarks>
internal static class ResumeRecordFormat
{
    public const string Suffix = ".state";

    private const uint Version = 2;
    private const int HeaderLength = 8 + 4 + 8 + Limits.IdLength + 8 + 4;
    private const int SequenceOffset = 12;
    private const int CountOffset = HeaderLength - 4;
    private static readonly byte[] Magic = "P2PSTATE"u8.ToArray();

    /// <summary>
    /// The longest record file read when its chunk count is not known beforehand: that of a
    /// file of 2^42 bytes (4 TiB), far beyond any download, and small enough to read at once.
    /// </summary>
    public const int MaxFileLength = 2 * (HeaderLength + (1 << 19) + Limits.IdLength);

    /// <summary>The length of one slot of a record of <paramref name="chunkCount"/> chunks.</summary>
    public static int SlotLength(int chunkCount) => HeaderLength + BitmapLength(chunkCount) + Limits.IdLength;

    /// <summary>The length of the record file (both slots).</summary>
    public static int FileLength(int chunkCount) => 2 * SlotLength(chunkCount);

    /// <summary>Where the copy with <paramref name="sequence"/> goes: the slots alternate.</summary>
    public static long SlotOffset(ulong sequence, int chunkCount) => (long)(sequence % 2) * SlotLength(chunkCount);

    public static int BitmapLength(int chunkCount) => (chunkCount + 7) / 8;

    /// <summary>The bitmap of <paramref name="done"/> chunks.</summary>
    public static byte[] Bitmap(int chunkCount, IEnumerable<int> done)
    {
        ArgumentNullException.ThrowIfNull(done);
        var bitmap = new byte[BitmapLength(chunkCount)];
        foreach (var chunk in done)
        {
            Mark(bitmap, chunk);
        }

        return bitmap;
    }

    public static void Mark(Span<byte> bitmap, int chunk) => bitmap[chunk / 8] |= (byte)(1 << (chunk % 8));

    /// <summary>Encodes one slot into <paramref name="slot"/> (exactly <see cref="SlotLength"/> bytes).</summary>
    public static void EncodeSlot(Span<byte> slot, ulong sequence, ContentId id, ulong size, int chunkCount, ReadOnlySpan<byte> bitmap)
    {
        var bitmapLength = BitmapLength(chunkCount);
        if (bitmap.Length != bitmapLength)
        {
            throw new ArgumentException($"a bitmap of {chunkCount} chunks is {bitmapLength} bytes, not {bitmap.Length}", nameof(bitmap));
        }

        if (slot.Length != SlotLength(chunkCount))
        {
            throw new ArgumentException($"a slot of {chunkCount} chunks is {SlotLength(chunkCount)} bytes, not {slot.Length}", nameof(slot));
        }

        Magic.CopyTo(slot);
        BinaryPrimitives.WriteUInt32BigEndian(slot[8..], Version);
        BinaryPrimitives.WriteUInt64BigEndian(slot[SequenceOffset..], sequence);
        id.CopyTo(slot[20..]);
        BinaryPrimitives.WriteUInt64BigEndian(slot[(20 + Limits.IdLength)..], size);
        BinaryPrimitives.WriteUInt32BigEndian(slot[CountOffset..], (uint)chunkCount);
        bitmap.CopyTo(slot[HeaderLength..]);
        SHA256.HashData(slot[..(HeaderLength + bitmapLength)], slot[(HeaderLength + bitmapLength)..]);
    }

    /// <summary>A whole record file listing <paramref name="done"/>: both slots hold it, with sequences 0 and 1.</summary>
    public static byte[] EncodeFile(ContentId id, ulong size, int chunkCount, IEnumerable<int> done)
    {
        var bitmap = Bitmap(chunkCount, done);
        var slot = SlotLength(chunkCount);
        var bytes = new byte[2 * slot];
        EncodeSlot(bytes.AsSpan(0, slot), 0, id, size, chunkCount, bitmap);
        EncodeSlot(bytes.AsSpan(slot), 1, id, size, chunkCount, bitmap);
        return bytes;
    }

    /// <summary>
    /// The newest valid copy in a record file for this content, or null when neither slot
    /// holds one (both torn or corrupt, another version, or another id, size or chunk count).
    /// </summary>
    public static ResumeRecordContent? Decode(ReadOnlySpan<byte> file, ContentId id, ulong size, int chunkCount)
    {
        var slot = SlotLength(chunkCount);
        if (file.Length != 2 * slot)
        {
            return null;
        }

        ResumeRecordContent? newest = null;
        for (var i = 0; i < 2; i++)
        {
            var bytes = file.Slice(i * slot, slot);
            if (IsValidSlot(bytes) && Matches(bytes, id, size, chunkCount))
            {
                var sequence = BinaryPrimitives.ReadUInt64BigEndian(bytes[SequenceOffset..]);
                if (newest is null || sequence > newest.Sequence)
                {
                    newest = new ResumeRecordContent(sequence, Chunks(bytes.Slice(HeaderLength, BitmapLength(chunkCount)), chunkCount));
                }
            }
        }

        return newest;
    }

    /// <summary>Whether <paramref name="file"/> is a record file of any content: a download's own, not somebody's data.</summary>
    public static bool IsRecordFile(ReadOnlySpan<byte> file)
    {
        if (file.Length % 2 != 0 || file.Length < 2 * SlotLength(0))
        {
            return false;
        }

        var slot = file.Length / 2;
        for (var i = 0; i < 2; i++)
        {
            var bytes = file.Slice(i * slot, slot);
            if (IsValidSlot(bytes))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Magic, version, a length that fits its chunk count, and an intact checksum.</summary>
    private static bool IsValidSlot(ReadOnlySpan<byte> slot)
    {
        if (slot.Length < SlotLength(0) || !slot.StartsWith(Magic) || BinaryPrimitives.ReadUInt32BigEndian(slot[8..]) != Version)
        {
            return false;
        }

        var count = BinaryPrimitives.ReadUInt32BigEndian(slot[CountOffset..]);
        if (count > int.MaxValue - 7 || slot.Length != SlotLength((int)count))
        {
            return false;
        }

        Span<byte> checksum = stackalloc byte[Limits.IdLength];
        SHA256.HashData(slot[..^Limits.IdLength], checksum);
        return checksum.SequenceEqual(slot[^Limits.IdLength..]);
    }

    private static bool Matches(ReadOnlySpan<byte> slot, ContentId id, ulong size, int chunkCount) =>
        new ContentId(slot.Slice(20, Limits.IdLength)) == id
        && BinaryPrimitives.ReadUInt64BigEndian(slot[(20 + Limits.IdLength)..]) == size
        && BinaryPrimitives.ReadUInt32BigEndian(slot[CountOffset..]) == (uint)chunkCount;

    private static List<int> Chunks(ReadOnlySpan<byte> bitmap, int chunkCount)
    {
        var done = new List<int>();
        for (var chunk = 0; chunk < chunkCount; chunk++)
        {
            if ((bitmap[chunk / 8] & (1 << (chunk % 8))) != 0)
            {
                done.Add(chunk);
            }
        }

        return done;
    }
}

/// <summary>What a resume record says: the verified chunks, and the sequence of the copy that says it.</summary>
internal sealed record ResumeRecordContent(ulong Sequence, IReadOnlyList<int> Chunks);
