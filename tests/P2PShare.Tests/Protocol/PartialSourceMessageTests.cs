using System.Net;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary>
/// Issue 14's five messages (LOCATE, SOURCES, HOLD, CHUNKS, CHUNK_MAP): exact bytes written by
/// hand from PROTOCOL.md 5.13–5.17, and every malformed form refused with ERROR 1 by the codec
/// and its view alike.
/// </summary>
public sealed class PartialSourceMessageTests
{
    private static readonly string NineHex = Wire.ToHex(Wire.Id(9).ToArray());

    private static void AssertGolden(Message message, string hex)
    {
        var expected = Wire.Hex(hex);
        Assert.Equal(Wire.ToHex(expected), Wire.ToHex(MessageCodec.EncodeFrame(message)));
        Assert.Equal(message, Wire.DecodeFrame(expected, Wire.ChannelOf(message)));
    }

    private static void AssertMalformed(MessageType type, string hex, string reason)
    {
        var ex = Wire.AssertRefused(ErrorCode.BadRequest, (byte)type, Wire.Hex(hex), type is MessageType.Chunks or MessageType.ChunkMap ? Channel.Peer : Channel.Directory);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    // ---- Golden bytes ---------------------------------------------------------------------

    [Fact]
    public void LOCATE() => AssertGolden(new LocateMessage(Wire.HelloId), "0d 00000020 | " + Wire.HelloIdHex);

    [Fact]
    public void SOURCES_whole_holder_first_then_a_partial_one_of_family_6() => AssertGolden(
        new SourcesMessage(Wire.HelloId,
        [
            new HeldSource(IPAddress.Parse("192.168.1.20"), 3300, 5, HeldSource.WholeFile),
            new HeldSource(IPAddress.Parse("2001:db8::7"), 3301, 5, 0),
        ],
        "hello.txt"),
        // type 14, length 36 + 19 + 31 + 11 | id | count 2 | records | the whole holder's name
        "0e 00000061 | " + Wire.HelloIdHex + " | 00000002"
        + " | 04 c0a80114 0ce4 0000000000000005 ffffffff"
        + " | 06 20010db8000000000000000000000007 0ce5 0000000000000005 00000000"
        + " | 0009 68656c6c6f2e747874");

    [Fact]
    public void SOURCES_with_none() => AssertGolden(new SourcesMessage(Wire.HelloId, []), "0e 00000026 | " + Wire.HelloIdHex + " | 00000000 | 0000");

    [Fact]
    public void SOURCES_sends_an_IPv4_mapped_address_as_family_4()
    {
        var mapped = new SourcesMessage(Wire.HelloId, [new HeldSource(IPAddress.Parse("::ffff:10.1.2.3"), 1, 2, 3)]);
        var frame = MessageCodec.EncodeFrame(mapped);
        Assert.Equal("04 0a010203", Wire.ToHex(frame.AsSpan(Limits.FrameHeaderLength + 36, 5)).Insert(2, " "));
        Assert.Equal(IPAddress.Parse("10.1.2.3"), ((SourcesMessage)Wire.DecodeFrame(frame, Channel.Directory)).Sources[0].Address);
    }

    [Fact]
    public void HOLD() => AssertGolden(
        new HoldMessage([new HoldItem(Wire.Id(9), 3 * (ulong)Limits.ChunkSize - 1, 2), new HoldItem(Wire.HelloId, 5, 0)]),
        "0f 0000005c | 00000002 | " + NineHex + " 00000000002fffff 00000002 | " + Wire.HelloIdHex + " 0000000000000005 00000000");

    [Fact]
    public void HOLD_with_none() => AssertGolden(new HoldMessage([]), "0f 00000004 | 00000000");

    [Fact]
    public void CHUNKS() => AssertGolden(new ChunksMessage(Wire.HelloId), "10 00000020 | " + Wire.HelloIdHex);

    [Fact]
    public void CHUNK_MAP_most_significant_bit_first()
    {
        // Chunks 0, 2, 9 and 10 of 11: 1010 0000, 0110 0000 (the 5 spare bits 0).
        var bitmap = new byte[2];
        foreach (var chunk in new[] { 0, 2, 9, 10 })
        {
            ChunkBitmap.Set(bitmap, chunk);
        }

        var map = new ChunkMapMessage(11, bitmap);
        AssertGolden(map, "11 00000008 | 0000000b | a0 60 | 00 00");
        Assert.Equal([0, 2, 9, 10], Enumerable.Range(-2, 16).Where(map.Has));
        Assert.Equal(4, ChunkBitmap.CountSet(bitmap));
    }

    [Fact]
    public void CHUNK_MAP_lists_the_chunks_being_fetched_after_those_held()
    {
        // Holds chunks 0, 2, 9 and 10 of 11; fetching 1 and 3: 0101 0000, 0000 0000.
        var map = new ChunkMapMessage(11, [0xa0, 0x60], [0x50, 0x00]);
        AssertGolden(map, "11 00000008 | 0000000b | a0 60 | 50 00");
        Assert.Equal([0x50, 0x00], ((ChunkMapMessage)MessageCodec.Decode((byte)MessageType.ChunkMap, Wire.Payload(map), Channel.Peer)).Fetching.ToArray());
    }

    [Fact]
    public void CHUNK_MAP_of_a_whole_file_is_all_ones_and_of_no_chunks_is_the_count_alone()
    {
        AssertGolden(ChunkMapMessage.All(11), "11 00000008 | 0000000b | ff e0 | 00 00");
        AssertGolden(ChunkMapMessage.All(16), "11 00000008 | 00000010 | ff ff | 00 00");
        AssertGolden(new ChunkMapMessage(0, []), "11 00000004 | 00000000");
    }

    // ---- Malformed ------------------------------------------------------------------------

    [Fact]
    public void LOCATE_truncated_trailing_or_zero_is_refused()
    {
        AssertMalformed(MessageType.Locate, Wire.HelloIdHex[..62], "truncated");
        AssertMalformed(MessageType.Locate, Wire.HelloIdHex + "00", "unexpected bytes");
        AssertMalformed(MessageType.Locate, new string('0', 64), "zero id");
        AssertMalformed(MessageType.Locate, "", "truncated");
    }

    [Fact]
    public void CHUNKS_truncated_or_trailing_is_refused_and_its_zero_id_is_only_not_found_later()
    {
        AssertMalformed(MessageType.Chunks, Wire.HelloIdHex[..62], "truncated");
        AssertMalformed(MessageType.Chunks, Wire.HelloIdHex + "00", "unexpected bytes");
        Assert.Equal(new ChunksMessage(ContentId.Zero), MessageCodec.Decode((byte)MessageType.Chunks, new byte[32], Channel.Peer));
    }

    [Fact]
    public void SOURCES_malformed_forms_are_refused()
    {
        var head = Wire.HelloIdHex + " | ";
        const string V4 = "04 c0a80114 0ce4 0000000000000005 ffffffff";
        AssertMalformed(MessageType.Sources, Wire.HelloIdHex[..40], "truncated");
        AssertMalformed(MessageType.Sources, head + "000000", "truncated");
        AssertMalformed(MessageType.Sources, head + "00000001 | " + V4[..^2], "source count 1 does not fit");
        // A family-6 record cut short after 19 bytes: the count fits, the record does not.
        AssertMalformed(MessageType.Sources, head + "00000001 | 06 20010db8000000000000000000000007 0ce5", "truncated");
        AssertMalformed(MessageType.Sources, head + "00000001 | " + V4, "truncated");
        AssertMalformed(MessageType.Sources, head + "00000001 | " + V4 + " 00", "truncated");
        AssertMalformed(MessageType.Sources, head + "00000001 | " + V4 + " 0000 00", "unexpected bytes");
        AssertMalformed(MessageType.Sources, head + "00000001 | 05" + V4[2..] + " 0000", "address family 5");
        AssertMalformed(MessageType.Sources, head + "00000000 | 0000 00", "unexpected bytes");
        AssertMalformed(MessageType.Sources, head + "00000000 | 0006 68656c6c6f", "truncated");
        // The name is empty or a valid file name.
        AssertMalformed(MessageType.Sources, head + "00000000 | 0002 2e2e", "'..' path component");
        AssertMalformed(MessageType.Sources, head + "00000000 | 0001 ff", "not valid UTF-8");
        // Two records claimed, 19 bytes there: the count is refused before anything is read for it.
        AssertMalformed(MessageType.Sources, head + "00000002 | " + V4, "source count 2 does not fit");
        AssertMalformed(MessageType.Sources, head + "ffffffff", "source count 4294967295 does not fit");
    }

    [Fact]
    public void SOURCES_of_more_than_1000_records_is_refused()
    {
        var sources = Enumerable.Range(0, Limits.MaxSources + 1).Select(i => new HeldSource(new IPAddress([10, 0, (byte)(i >> 8), (byte)i]), 1, 1, 1)).ToList();
        var payload = Wire.Payload(new SourcesMessage(Wire.HelloId, sources));
        var ex = Wire.AssertRefused(ErrorCode.BadRequest, (byte)MessageType.Sources, payload, Channel.Directory);
        Assert.Contains("over the limit of 1000", ex.Message, StringComparison.Ordinal);

        var thousand = Wire.Payload(new SourcesMessage(Wire.HelloId, sources[..Limits.MaxSources]));
        Assert.Equal(1000, SourcesView.Parse(thousand).Count);
    }

    [Fact]
    public void HOLD_malformed_forms_are_refused()
    {
        var item = NineHex + " 0000000000100001 00000002";
        AssertMalformed(MessageType.Hold, "000000", "truncated");
        AssertMalformed(MessageType.Hold, "00000001 | " + item[..^2], "item count 1 does not fit");
        AssertMalformed(MessageType.Hold, "00000001 | " + item + " 00", "unexpected bytes");
        AssertMalformed(MessageType.Hold, "00000002 | " + item, "item count 2 does not fit");
        AssertMalformed(MessageType.Hold, "ffffffff", "item count 4294967295 does not fit");
        AssertMalformed(MessageType.Hold, "00000001 | " + new string('0', 64) + " 0000000000000005 00000001", "zero id");
        AssertMalformed(MessageType.Hold, "00000001 | " + NineHex + " 0000000000000000 00000000", "size 0");
        // 1 MiB + 1 byte is 2 chunks: 3 held is one too many.
        AssertMalformed(MessageType.Hold, "00000001 | " + NineHex + " 0000000000100001 00000003", "holds 3 chunks of a content of 2 chunks");
        AssertMalformed(MessageType.Hold, "00000001 | " + NineHex + " ffffffffffffffff ffffffff", "holds 4294967295 chunks");
    }

    [Fact]
    public void HOLD_of_more_than_1024_items_is_refused_and_of_1024_fits_the_directory_limit()
    {
        var items = Enumerable.Range(0, Limits.MaxHoldItems + 1).Select(i => new HoldItem(Wire.Id((byte)(i + 1)), 5, 1)).ToList();
        var ex = Wire.AssertRefused(ErrorCode.BadRequest, (byte)MessageType.Hold, Wire.Payload(new HoldMessage(items)), Channel.Directory);
        Assert.Contains("over the limit of 1024", ex.Message, StringComparison.Ordinal);

        var full = Wire.Payload(new HoldMessage(items[..Limits.MaxHoldItems]));
        Assert.Equal(FrameLimits.MaxHoldPayload, full.Length);
        Assert.Equal(45_060, full.Length);
        Assert.Equal(1024, HoldView.Parse(full).Count);
    }

    [Fact]
    public void HOLD_holding_every_chunk_or_none_is_valid()
    {
        var message = new HoldMessage([new HoldItem(Wire.Id(9), (ulong)Limits.ChunkSize + 1, 2), new HoldItem(Wire.Id(9), 1, 0)]);
        Assert.Equal(message, MessageCodec.Decode((byte)MessageType.Hold, Wire.Payload(message), Channel.Directory));
    }

    [Fact]
    public void CHUNK_MAP_malformed_forms_are_refused()
    {
        AssertMalformed(MessageType.ChunkMap, "000000", "truncated");
        AssertMalformed(MessageType.ChunkMap, "0000000b | a0", "the two bitmaps of 11 chunks need 4 bytes, 1 remain");
        AssertMalformed(MessageType.ChunkMap, "0000000b | a0 60", "the two bitmaps of 11 chunks need 4 bytes, 2 remain");
        AssertMalformed(MessageType.ChunkMap, "0000000b | a0 60 00 00 00", "1 unexpected bytes");
        AssertMalformed(MessageType.ChunkMap, "00000000 | 00", "1 unexpected bytes");
        AssertMalformed(MessageType.ChunkMap, "0000000b | a0 70 00 00", "spare bits set");
        AssertMalformed(MessageType.ChunkMap, "0000000b | a0 60 00 10", "spare bits set");
        AssertMalformed(MessageType.ChunkMap, "00000001 | c0 00", "spare bits set");
        AssertMalformed(MessageType.ChunkMap, "ffffffff | ff", "need 1073741824 bytes");
    }

    [Fact]
    public void A_CHUNK_MAP_record_refuses_a_bitmap_of_the_wrong_length_or_with_spare_bits()
    {
        Assert.Throws<ArgumentException>(() => new ChunkMapMessage(9, [0xff]));
        Assert.Throws<ArgumentException>(() => new ChunkMapMessage(9, [0xff, 0xc0]));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteChunkMap(new byte[64], 3, [0xf0], [0x00]));
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteChunkMap(new byte[64], 3, [0xe0], [0x10]));
        Assert.Throws<ArgumentException>(() => new ChunkMapMessage(9, [0xff, 0x80], [0xff]));
    }

    // ---- Frame writers --------------------------------------------------------------------

    [Fact]
    public void FrameWriter_writes_LOCATE_CHUNKS_and_CHUNK_MAP_as_the_codec_does()
    {
        var buffer = new byte[64];
        Assert.Equal(MessageCodec.EncodeFrame(new LocateMessage(Wire.HelloId)), buffer[..FrameWriter.WriteLocate(buffer, Wire.HelloId)]);
        Assert.Equal(MessageCodec.EncodeFrame(new ChunksMessage(Wire.HelloId)), buffer[..FrameWriter.WriteChunks(buffer, Wire.HelloId)]);
        var map = ChunkMapMessage.All(13);
        Assert.Equal(FrameWriter.MeasureChunkMap(13), MessageCodec.GetFrameLength(map));
        Assert.Equal(MessageCodec.EncodeFrame(map), buffer[..FrameWriter.WriteChunkMap(buffer, 13, map.Bitmap, map.Fetching)]);
    }

    [Fact]
    public void SourcesFrameWriter_writes_what_the_codec_writes_and_stops_at_1000()
    {
        var sources = Enumerable.Range(0, 1001)
            .Select(i => new HeldSource(i % 3 == 0 ? IPAddress.Parse($"2001:db8::{i:x}") : i % 3 == 1 ? IPAddress.Parse($"::ffff:10.0.{i >> 8}.{i & 255}") : new IPAddress([10, 1, (byte)(i >> 8), (byte)i]), (ushort)i, (ulong)i * 7, i % 5 == 0 ? HeldSource.WholeFile : (uint)i))
            .ToList();
        var buffer = new byte[SourcesFrameWriter.MaxFrameLength];
        var writer = new SourcesFrameWriter(buffer, Wire.HelloId);
        foreach (var source in sources)
        {
            if (!writer.TryAdd(source.Address, source.Port, source.Size, source.Held))
            {
                Assert.True(writer.IsFull);
                break;
            }
        }

        Assert.Equal(1000, writer.Count);
        var length = writer.Finish("hello.txt"u8);
        var normalized = new SourcesMessage(Wire.HelloId, [.. sources.Take(1000).Select(s => s with { Address = MessageCodec.NormalizeAddress(s.Address) })], "hello.txt");
        Assert.Equal(MessageCodec.EncodeFrame(normalized), buffer[..length]);
        Assert.Equal(normalized, Wire.DecodeFrame(buffer.AsSpan(0, length), Channel.Directory));
    }

    [Fact]
    public void The_largest_SOURCES_fits_the_directory_clients_limit_and_the_largest_CHUNK_MAP_the_downloaders()
    {
        var sources = Enumerable.Range(0, 1000).Select(i => new HeldSource(IPAddress.Parse($"2001:db8::{i:x}"), 1, 1, 1)).ToList();
        Assert.Equal(32_062, MessageCodec.GetPayloadLength(new SourcesMessage(Wire.HelloId, sources, new string('n', Limits.MaxNameBytes))));
        Assert.Equal(32_062, FrameLimits.DirectoryClient.MaxPayload(MessageType.Sources));

        var largest = (Limits.MaxControlPayload - 8) / Limits.IdLength;
        Assert.Equal(131_076, MessageCodec.GetPayloadLength(ChunkMapMessage.All(largest)));
        Assert.Equal(131_076, FrameLimits.Downloader.MaxPayload(MessageType.ChunkMap));
    }
}
