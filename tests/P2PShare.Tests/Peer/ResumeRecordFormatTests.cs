using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

/// <summary>The resume record's layout: two slots, the newest valid one wins, a torn or foreign one is ignored.</summary>
public sealed class ResumeRecordFormatTests
{
    private static readonly ContentId Id = ContentHasher.Compute([1, 2, 3]);

    [Fact]
    public void A_record_round_trips_its_verified_chunks()
    {
        var bytes = ResumeRecordFormat.EncodeFile(Id, 20_000_000, 20, [0, 3, 7, 8, 19]);

        Assert.Equal(ResumeRecordFormat.FileLength(20), bytes.Length);
        var content = ResumeRecordFormat.Decode(bytes, Id, 20_000_000, 20);
        Assert.NotNull(content);
        Assert.Equal([0, 3, 7, 8, 19], content.Chunks);
        Assert.Equal(1UL, content.Sequence);
    }

    [Fact]
    public void A_slot_has_the_documented_layout()
    {
        var bytes = ResumeRecordFormat.EncodeFile(Id, 3_000_000, 3, [1]);
        var slot = bytes.AsSpan(ResumeRecordFormat.SlotLength(3));

        Assert.Equal("P2PSTATE"u8.ToArray(), slot[..8].ToArray());
        Assert.Equal(new byte[] { 0, 0, 0, 2 }, slot[8..12].ToArray());
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 1 }, slot[12..20].ToArray());
        Assert.Equal(Id.ToString(), Convert.ToHexStringLower(slot[20..52]));
        Assert.Equal(Convert.FromHexString("00000000002DC6C0"), slot[52..60].ToArray());
        Assert.Equal(new byte[] { 0, 0, 0, 3 }, slot[60..64].ToArray());
        Assert.Equal(0b010, slot[64]);
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(slot[..65]), slot[65..].ToArray());
    }

    [Fact]
    public void A_record_for_other_content_is_ignored()
    {
        var bytes = ResumeRecordFormat.EncodeFile(Id, 20_000_000, 20, [1]);

        Assert.Null(ResumeRecordFormat.Decode(bytes, ContentHasher.Compute([9]), 20_000_000, 20));
        Assert.Null(ResumeRecordFormat.Decode(bytes, Id, 20_000_001, 20));
        Assert.Null(ResumeRecordFormat.Decode(bytes, Id, 20_000_000, 21));
    }

    [Fact]
    public void A_truncated_record_file_is_ignored()
    {
        var bytes = ResumeRecordFormat.EncodeFile(Id, 5_000_000, 5, [0, 1, 2]);

        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Null(ResumeRecordFormat.Decode(bytes.AsSpan(0, length), Id, 5_000_000, 5));
        }
    }

    [Fact]
    public void A_flipped_bit_spoils_only_its_own_slot_and_the_other_copy_is_read()
    {
        var bytes = ResumeRecordFormat.EncodeFile(Id, 5_000_000, 5, [0, 1, 2]);
        var slot = ResumeRecordFormat.SlotLength(5);

        for (var i = 0; i < bytes.Length; i++)
        {
            var copy = bytes.ToArray();
            copy[i] ^= 0x10;
            var content = ResumeRecordFormat.Decode(copy, Id, 5_000_000, 5);
            Assert.NotNull(content);
            Assert.Equal([0, 1, 2], content.Chunks);
            Assert.Equal(i < slot ? 1UL : 0UL, content.Sequence);

            // A flip in both slots leaves no record.
            copy[(i + slot) % bytes.Length] ^= 0x10;
            Assert.Null(ResumeRecordFormat.Decode(copy, Id, 5_000_000, 5));
        }
    }

    [Fact]
    public void A_rewrite_cut_short_leaves_the_copy_before_it()
    {
        var bytes = ResumeRecordFormat.EncodeFile(Id, 9_000_000, 9, [0]);
        var newer = new byte[ResumeRecordFormat.SlotLength(9)];
        ResumeRecordFormat.EncodeSlot(newer, 2, Id, 9_000_000, 9, ResumeRecordFormat.Bitmap(9, [0, 4]));
        var offset = (int)ResumeRecordFormat.SlotOffset(2, 9);
        Assert.Equal(0, offset);

        for (var written = 0; written < newer.Length; written++)
        {
            var file = bytes.ToArray();
            newer.AsSpan(0, written).CopyTo(file.AsSpan(offset));
            var content = ResumeRecordFormat.Decode(file, Id, 9_000_000, 9);
            Assert.NotNull(content);
            Assert.Equal([0], content.Chunks);
        }

        newer.CopyTo(bytes.AsSpan(offset));
        Assert.Equal(new ResumeRecordContent(2, [0, 4]).Chunks, ResumeRecordFormat.Decode(bytes, Id, 9_000_000, 9)!.Chunks);
    }

    [Fact]
    public void A_record_file_of_any_content_is_recognised_and_nothing_else_is()
    {
        Assert.True(ResumeRecordFormat.IsRecordFile(ResumeRecordFormat.EncodeFile(Id, 3_000_000, 3, [0])));
        Assert.True(ResumeRecordFormat.IsRecordFile(ResumeRecordFormat.EncodeFile(ContentHasher.Compute([7]), 0, 0, [])));
        Assert.False(ResumeRecordFormat.IsRecordFile([]));
        Assert.False(ResumeRecordFormat.IsRecordFile("not a state file at all, but long enough to look at twice over: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"u8));
        var torn = ResumeRecordFormat.EncodeFile(Id, 3_000_000, 3, [0]);
        Assert.False(ResumeRecordFormat.IsRecordFile(torn.AsSpan(0, torn.Length - 1)));
    }
}
