using System.Buffers.Binary;
using System.Security.Cryptography;
using P2PShare.Peer;
using P2PShare.Protocol;
using static P2PShare.Fuzz.ContractViolationException;

namespace P2PShare.Fuzz;

/// <summary>
/// The resume record parser on any file contents: a file in the downloads folder is hostile
/// input too. <see cref="ResumeRecordFormat.Decode"/> either returns the chunks the newest valid
/// copy lists (ascending, distinct, each below the chunk count, and the same after encoding them
/// again) or null, the documented answer for a file with no valid copy for this content;
/// <see cref="ResumeRecordFormat.IsRecordFile"/> answers true or false (true for any file that
/// decodes); neither throws.
/// </summary>
/// <remarks>
/// Input: byte 0 holds two switches, the rest is the file (two slots of equal length). Bit 0
/// recomputes the SHA-256 that ends each slot, so mutations get past the checksums (a fuzzer
/// cannot forge one) and reach the fields behind them. Bit 1 takes the expected id, size and
/// chunk count from slot 0's fields (the count cut to what a HASH_LIST can carry), otherwise the
/// download expects <see cref="ExpectedId"/>, 5 bytes, 1 chunk.
/// </remarks>
internal static class ResumeRecordHarness
{
    /// <summary>A slot: "P2PSTATE", u32 version, u64 sequence, 32-byte id, u64 size, u32 count, then the bitmap.</summary>
    private const int IdOffset = 8 + 4 + 8;
    private const int SizeOffset = IdOffset + Limits.IdLength;
    private const int CountOffset = SizeOffset + 8;
    private const int HeaderLength = CountOffset + 4;

    /// <summary>Most chunk digests one HASH_LIST carries (PROTOCOL.md, Limits): no download has more chunks.</summary>
    private const int MaxChunkCount = (Limits.MaxControlPayload - 8) / Limits.IdLength;

    /// <summary>The id of the 5-byte file "hello" (PROTOCOL.md 3.4).</summary>
    public static readonly ContentId ExpectedId = ContentId.Parse("9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50");

    public static void Run(ReadOnlySpan<byte> input)
    {
        var flags = input.IsEmpty ? (byte)0 : input[0];
        var file = input.IsEmpty ? [] : input[1..].ToArray();
        var slot = file.Length / 2;
        if ((flags & 1) != 0 && file.Length % 2 == 0 && slot >= Limits.IdLength)
        {
            for (var i = 0; i < 2; i++)
            {
                var bytes = file.AsSpan(i * slot, slot);
                SHA256.HashData(bytes[..^Limits.IdLength], bytes[^Limits.IdLength..]);
            }
        }

        var id = ExpectedId;
        var size = 5UL;
        var chunkCount = 1;
        if ((flags & 2) != 0 && slot >= HeaderLength)
        {
            id = new ContentId(file.AsSpan(IdOffset, Limits.IdLength));
            size = BinaryPrimitives.ReadUInt64BigEndian(file.AsSpan(SizeOffset));
            chunkCount = (int)(BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(CountOffset)) % (MaxChunkCount + 1));
        }

        var isRecordFile = ResumeRecordFormat.IsRecordFile(file);
        var record = ResumeRecordFormat.Decode(file, id, size, chunkCount);
        if (record is null)
        {
            return;
        }

        Require(isRecordFile, "a file that decodes as a record is not recognised as a record file");
        var done = record.Chunks;
        for (var i = 0; i < done.Count; i++)
        {
            Require(done[i] >= 0 && done[i] < chunkCount, $"chunk {done[i]} listed of a download of {chunkCount}");
            Require(i == 0 || done[i] > done[i - 1], "chunks listed out of order or twice");
        }

        var again = ResumeRecordFormat.Decode(ResumeRecordFormat.EncodeFile(id, size, chunkCount, done), id, size, chunkCount);
        Require(again is not null && again.Chunks.SequenceEqual(done), "the chunks a record lists read differently after encoding them again");
    }
}
