using System.Buffers.Binary;
using System.Security.Cryptography;

namespace P2PShare.IntegrationTests.Infrastructure;

/// <summary>
/// A <c>NAME.part.state</c> resume record as <c>get</c> writes it, read independently of the
/// downloader's own code (layout, big-endian: "P2PSTATE", u32 version 1, 32-byte content id,
/// u64 size, u32 chunk count, ceil(count / 8) bytes of bitmap with chunk i in bit i % 8 of byte
/// i / 8, then SHA-256 of everything before it).
/// </summary>
public sealed record ResumeRecord(string Id, ulong Size, int ChunkCount, IReadOnlyList<int> Verified)
{
    private const int Header = 8 + 4 + 32 + 8 + 4;

    /// <summary>Fraction of the chunks recorded as verified.</summary>
    public double VerifiedFraction => ChunkCount == 0 ? 1 : (double)Verified.Count / ChunkCount;

    /// <summary>The record at <paramref name="path"/>; null when it is missing or not (yet) a whole, valid record.</summary>
    public static ResumeRecord? TryRead(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Missing, or being replaced at this very moment.
            return null;
        }

        if (bytes.Length < Header + 32 || !bytes.AsSpan(0, 8).SequenceEqual("P2PSTATE"u8)
            || BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(8)) != 1)
        {
            return null;
        }

        var id = Convert.ToHexStringLower(bytes.AsSpan(12, 32));
        var size = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(44));
        var count = checked((int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(52)));
        var bitmapLength = (count + 7) / 8;
        if (bytes.Length != Header + bitmapLength + 32
            || !SHA256.HashData(bytes.AsSpan(0, Header + bitmapLength)).AsSpan().SequenceEqual(bytes.AsSpan(Header + bitmapLength)))
        {
            return null;
        }

        var verified = new List<int>();
        for (var chunk = 0; chunk < count; chunk++)
        {
            if ((bytes[Header + (chunk / 8)] & (1 << (chunk % 8))) != 0)
            {
                verified.Add(chunk);
            }
        }

        return new ResumeRecord(id, size, count, verified);
    }

    /// <summary>
    /// Polls <paramref name="path"/> every 20 ms until its record lists at least
    /// <paramref name="minimumFraction"/> of the chunks; fails when <paramref name="process"/>
    /// exits or <paramref name="timeout"/> passes first.
    /// </summary>
    public static async Task<ResumeRecord> WaitForAsync(string path, double minimumFraction, CliProcess process, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(process);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var record = TryRead(path);
            if (record is not null && record.VerifiedFraction >= minimumFraction && record.Verified.Count > 0)
            {
                return record;
            }

            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                var seen = record is null ? "no valid record" : $"{record.Verified.Count} of {record.ChunkCount} chunks";
                throw new TimeoutException(process.Describe(
                    $"{Path.GetFileName(path)} did not list {minimumFraction:P0} of the chunks within {timeout.TotalSeconds:0.#} s ({seen})"));
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
