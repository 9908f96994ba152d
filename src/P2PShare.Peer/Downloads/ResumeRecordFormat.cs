using System.Buffers.Binary;
using System.Security.Cryptography;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// The resume record next to <c>NAME.part</c>: which chunks of which content are verified. The
/// file is written whole to a temporary name and renamed over the old one, so it is always either
/// the old or the new record; it ends with a SHA-256 of everything before it, so a torn or foreign
/// file is recognised and ignored — and even a valid record is only a hint: resuming re-checks
/// every chunk it lists against the hash list before trusting it.
/// </summary>
/// <remarks>
/// Layout (big-endian): "P2PSTATE" (8 bytes), u32 version = 1, 32-byte content id, u64 size,
/// u32 chunk count, ceil(count / 8) bytes of bitmap (chunk i is bit i % 8 of byte i / 8),
/// 32-byte SHA-256 of all the preceding bytes.
/// </remarks>
public static class DownloadState
{
    public const string Suffix = ".state";

    private const uint Version = 1;
    private static readonly byte[] Magic = "P2PSTATE"u8.ToArray();

    /// <summary>Encodes a record of <paramref name="done"/> chunks.</summary>
    public static byte[] Encode(ContentId id, ulong size, int chunkCount, IEnumerable<int> done) =>
        Encode(id, size, chunkCount, Bitmap(chunkCount, done));

    /// <summary>Encodes a record from a bitmap (chunk i is bit i % 8 of byte i / 8).</summary>
    public static byte[] Encode(ContentId id, ulong size, int chunkCount, ReadOnlySpan<byte> bitmap)
    {
        var bitmapLength = (chunkCount + 7) / 8;
        if (bitmap.Length != bitmapLength)
        {
            throw new ArgumentException($"a bitmap of {chunkCount} chunks is {bitmapLength} bytes, not {bitmap.Length}", nameof(bitmap));
        }

        var bytes = new byte[Magic.Length + 4 + Limits.IdLength + 8 + 4 + bitmapLength + Limits.IdLength];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        var position = Magic.Length;
        BinaryPrimitives.WriteUInt32BigEndian(span[position..], Version);
        position += 4;
        id.CopyTo(span[position..]);
        position += Limits.IdLength;
        BinaryPrimitives.WriteUInt64BigEndian(span[position..], size);
        position += 8;
        BinaryPrimitives.WriteUInt32BigEndian(span[position..], (uint)chunkCount);
        position += 4;
        bitmap.CopyTo(span[position..]);
        position += bitmapLength;
        SHA256.HashData(span[..position], span[position..]);
        return bytes;
    }

    /// <summary>The bitmap of <paramref name="done"/> chunks.</summary>
    public static byte[] Bitmap(int chunkCount, IEnumerable<int> done)
    {
        ArgumentNullException.ThrowIfNull(done);
        var bitmap = new byte[(chunkCount + 7) / 8];
        foreach (var chunk in done)
        {
            Mark(bitmap, chunk);
        }

        return bitmap;
    }

    public static void Mark(Span<byte> bitmap, int chunk) => bitmap[chunk / 8] |= (byte)(1 << (chunk % 8));

    /// <summary>
    /// The verified chunks a record lists, or null when the record is torn, corrupt, of another
    /// version, or for other content (another id, size or chunk count).
    /// </summary>
    public static IReadOnlyList<int>? Decode(ReadOnlySpan<byte> bytes, ContentId id, ulong size, int chunkCount)
    {
        var bitmapLength = (chunkCount + 7) / 8;
        var expectedLength = Magic.Length + 4 + Limits.IdLength + 8 + 4 + bitmapLength + Limits.IdLength;
        if (bytes.Length != expectedLength || !bytes.StartsWith(Magic))
        {
            return null;
        }

        var body = bytes[..^Limits.IdLength];
        Span<byte> checksum = stackalloc byte[Limits.IdLength];
        SHA256.HashData(body, checksum);
        if (!checksum.SequenceEqual(bytes[^Limits.IdLength..]))
        {
            return null;
        }

        var position = Magic.Length;
        if (BinaryPrimitives.ReadUInt32BigEndian(body[position..]) != Version)
        {
            return null;
        }

        position += 4;
        if (new ContentId(body.Slice(position, Limits.IdLength)) != id)
        {
            return null;
        }

        position += Limits.IdLength;
        if (BinaryPrimitives.ReadUInt64BigEndian(body[position..]) != size)
        {
            return null;
        }

        position += 8;
        if (BinaryPrimitives.ReadUInt32BigEndian(body[position..]) != (uint)chunkCount)
        {
            return null;
        }

        position += 4;
        var bitmap = body.Slice(position, bitmapLength);
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

    /// <summary>Reads the record at <paramref name="path"/>; null when it is missing, unreadable or not trustworthy.</summary>
    public static IReadOnlyList<int>? Read(string path, ContentId id, ulong size, int chunkCount)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > 1 + (chunkCount / 8) + 1024)
            {
                return null;
            }

            return Decode(File.ReadAllBytes(path), id, size, chunkCount);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Replaces the record at <paramref name="path"/> atomically (write a temporary file, rename it).</summary>
    public static void Write(string path, ContentId id, ulong size, int chunkCount, IEnumerable<int> done) =>
        Write(path, id, size, chunkCount, Bitmap(chunkCount, done));

    /// <inheritdoc cref="Write(string, ContentId, ulong, int, IEnumerable{int})"/>
    public static void Write(string path, ContentId id, ulong size, int chunkCount, ReadOnlySpan<byte> bitmap)
    {
        var temporary = path + ".tmp";
        try
        {
            File.WriteAllBytes(temporary, Encode(id, size, chunkCount, bitmap));
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A full disk leaves an empty or torn temporary file behind: it is worth nothing.
            try
            {
                File.Delete(temporary);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // The failure that matters is the one thrown below.
            }

            throw;
        }
    }
}
