using System.Buffers.Binary;
using System.Security.Cryptography;
using P2PShare.Peer;
using P2PShare.Protocol;
using static P2PShare.Fuzz.ContractViolationException;

namespace P2PShare.Fuzz;

/// <summary>
/// The resume record parser on any file contents: a file in the downloads folder is hostile
/// input too. <see cref="DownloadState.Decode"/> either returns the chunks the record lists
/// (ascending, distinct, each below the chunk count, and the same after encoding them again) or
/// null, the documented answer for a torn, corrupt or foreign record; it never throws.
/// </summary>
/// <remarks>
/// Input: byte 0 holds two switches, the rest is the file. Bit 0 recomputes the trailing SHA-256
/// over the rest, so mutations get past the checksum (a fuzzer cannot forge one) and reach the
/// fields behind it. Bit 1 takes the expected id, size and chunk count from the record's own
/// fields (the count cut to what a HASH_LIST can carry), otherwise the download expects
/// <see cref="ExpectedId"/>, 5 bytes, 1 chunk.
/// </remarks>
internal static class ResumeRecordHarness
{
    /// <summary>"P2PSTATE", u32 version, 32-byte id, u64 size, u32 count: where the bitmap begins.</summary>
    public const int HeaderLength = 8 + 4 + Limits.IdLength + 8 + 4;

    /// <summary>Most chunk digests one HASH_LIST carries (PROTOCOL.md, Limits): no download has more chunks.</summary>
    public const int MaxChunkCount = (Limits.MaxControlPayload - 8) / Limits.IdLength;

    /// <summary>The id of the 5-byte file "hello" (PROTOCOL.md 3.4).</summary>
    public static readonly ContentId ExpectedId = ContentId.Parse("9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50");

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        var flags = input[0];
        var record = input[1..].ToArray();
        if ((flags & 1) != 0 && record.Length >= Limits.IdLength)
        {
            SHA256.HashData(record.AsSpan(0, record.Length - Limits.IdLength), record.AsSpan(record.Length - Limits.IdLength));
        }

        var id = ExpectedId;
        var size = 5UL;
        var chunkCount = 1;
        if ((flags & 2) != 0 && record.Length >= HeaderLength)
        {
            id = new ContentId(record.AsSpan(12, Limits.IdLength));
            size = BinaryPrimitives.ReadUInt64BigEndian(record.AsSpan(44));
            chunkCount = (int)(BinaryPrimitives.ReadUInt32BigEndian(record.AsSpan(52)) % (MaxChunkCount + 1));
        }

        var done = DownloadState.Decode(record, id, size, chunkCount);
        if (done is null)
        {
            return;
        }

        for (var i = 0; i < done.Count; i++)
        {
            Require(done[i] >= 0 && done[i] < chunkCount, $"chunk {done[i]} listed of a download of {chunkCount}");
            Require(i == 0 || done[i] > done[i - 1], "chunks listed out of order or twice");
        }

        var again = DownloadState.Decode(DownloadState.Encode(id, size, chunkCount, done), id, size, chunkCount);
        Require(again is not null && again.SequenceEqual(done), "the chunks a record lists read differently after encoding them again");
    }
}
