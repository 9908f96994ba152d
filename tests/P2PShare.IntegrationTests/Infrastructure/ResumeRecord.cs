using System.Buffers.Binary;
using System.Security.Cryptography;

namespace P2PShare.IntegrationTests.Infrastructure;

/// <summary>
/// A <c>NAME.part.state</c> resume record as <c>get</c> writes it, read independently of the
/// downloader's own code. The file is two slots of equal length; each (big-endian): "P2PSTATE",
/// u32 version 2, u64 sequence, 32-byte content id, u64 size, u32 chunk count, ceil(count / 8)
/// bytes of bitmap with chunk i in bit i % 8 of byte i / 8, then SHA-256 of the slot's bytes
/// before it. The record is the valid slot with the higher sequence.
/// </summary>
public sealed record ResumeRecord(string Id, ulong Size, int ChunkCount, IReadOnlyList<int> Verified)
{
    private const int Header = 8 + 4 + 8 + 32 + 8 + 4;

    /// <summary>Fraction of the chunks recorded as verified.</summary>
    public double VerifiedFraction => ChunkCount == 0 ? 1 : (double)Verified.Count / ChunkCount;

    /// <summary>The record at <paramref name="path"/>; null when it is missing or holds no whole, valid copy.</summary>
    public static ResumeRecord? TryRead(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        if (bytes.Length % 2 != 0)
        {
            return null;
        }

        var slot = bytes.Length / 2;
        (ulong Sequence, ResumeRecord Record)? newest = null;
        for (var i = 0; i < 2; i++)
        {
            if (TryReadSlot(bytes.AsSpan(i * slot, slot)) is { } copy && (newest is null || copy.Sequence > newest.Value.Sequence))
            {
                newest = copy;
            }
        }

        return newest?.Record;
    }

    private static (ulong Sequence, ResumeRecord Record)? TryReadSlot(ReadOnlySpan<byte> slot)
    {
        if (slot.Length < Header + 32 || !slot[..8].SequenceEqual("P2PSTATE"u8)
            || BinaryPrimitives.ReadUInt32BigEndian(slot[8..]) != 2)
        {
            return null;
        }

        var sequence = BinaryPrimitives.ReadUInt64BigEndian(slot[12..]);
        var id = Convert.ToHexStringLower(slot.Slice(20, 32));
        var size = BinaryPrimitives.ReadUInt64BigEndian(slot[52..]);
        var count = BinaryPrimitives.ReadUInt32BigEndian(slot[60..]);
        if (count > int.MaxValue - 7)
        {
            return null;
        }

        var bitmapLength = (int)((count + 7) / 8);
        if (slot.Length != Header + bitmapLength + 32
            || !SHA256.HashData(slot[..(Header + bitmapLength)]).AsSpan().SequenceEqual(slot[(Header + bitmapLength)..]))
        {
            return null;
        }

        var verified = new List<int>();
        for (var chunk = 0; chunk < (int)count; chunk++)
        {
            if ((slot[Header + (chunk / 8)] & (1 << (chunk % 8))) != 0)
            {
                verified.Add(chunk);
            }
        }

        return (sequence, new ResumeRecord(id, size, (int)count, verified));
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
