using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using P2PShare.Protocol;

namespace P2PShare.LoadTest.Catalog;

/// <summary>File entries whose content id and size follow from the name alone.</summary>
internal static class CatalogFiles
{
    /// <summary>
    /// An entry for <paramref name="name"/>: its id is the SHA-256 of the name and its size a
    /// value between <paramref name="minSize"/> and <paramref name="maxSize"/> taken from the
    /// same hash, so every peer that shares a name shares the same content (one id, one size),
    /// as peers holding copies of one file do.
    /// </summary>
    public static FileEntry FromName(string name, long minSize, long maxSize)
    {
        Span<byte> hash = stackalloc byte[Limits.IdLength];
        SHA256.HashData(Encoding.UTF8.GetBytes(name), hash);
        var size = minSize + (long)(BinaryPrimitives.ReadUInt64LittleEndian(hash) % (ulong)(maxSize - minSize));
        return new FileEntry(name, (ulong)size, new ContentId(hash));
    }

    /// <summary>Adds <paramref name="entry"/> unless the list already has its name.</summary>
    public static void AddNew(List<FileEntry> files, HashSet<string> names, FileEntry entry)
    {
        if (names.Add(entry.Name))
        {
            files.Add(entry);
        }
    }

    /// <summary>One of <paramref name="words"/>, by their weights (any positive numbers).</summary>
    public static string Pick(Random random, (string Word, int Weight)[] words)
    {
        var total = 0;
        foreach (var (_, weight) in words)
        {
            total += weight;
        }

        var roll = random.Next(total);
        foreach (var (word, weight) in words)
        {
            roll -= weight;
            if (roll < 0)
            {
                return word;
            }
        }

        return words[^1].Word;
    }

    public static string Pick(Random random, string[] words) => words[random.Next(words.Length)];
}
