using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

public sealed class DownloadStateTests
{
    private static readonly ContentId Id = ContentHasher.Compute([1, 2, 3]);

    [Fact]
    public void A_record_round_trips_its_verified_chunks()
    {
        var bytes = DownloadState.Encode(Id, 20_000_000, 20, [0, 3, 7, 8, 19]);

        Assert.Equal([0, 3, 7, 8, 19], DownloadState.Decode(bytes, Id, 20_000_000, 20));
    }

    [Fact]
    public void A_record_for_other_content_is_ignored()
    {
        var bytes = DownloadState.Encode(Id, 20_000_000, 20, [1]);

        Assert.Null(DownloadState.Decode(bytes, ContentHasher.Compute([9]), 20_000_000, 20));
        Assert.Null(DownloadState.Decode(bytes, Id, 20_000_001, 20));
        Assert.Null(DownloadState.Decode(bytes, Id, 20_000_000, 21));
    }

    [Fact]
    public void A_torn_record_is_ignored()
    {
        var bytes = DownloadState.Encode(Id, 5_000_000, 5, [0, 1, 2]);

        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Null(DownloadState.Decode(bytes.AsSpan(0, length), Id, 5_000_000, 5));
        }
    }

    [Fact]
    public void A_record_with_any_flipped_bit_is_ignored()
    {
        var bytes = DownloadState.Encode(Id, 5_000_000, 5, [0, 1, 2]);

        for (var i = 0; i < bytes.Length; i++)
        {
            var copy = bytes.ToArray();
            copy[i] ^= 0x10;
            Assert.Null(DownloadState.Decode(copy, Id, 5_000_000, 5));
        }
    }

    [Fact]
    public void Garbage_and_missing_files_are_ignored()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "x.part.state");

        Assert.Null(DownloadState.Read(path, Id, 10, 1));
        File.WriteAllText(path, "not a state file at all");
        Assert.Null(DownloadState.Read(path, Id, 10, 1));
    }

    [Fact]
    public void Write_replaces_the_record_and_leaves_no_temporary_file()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "x.part.state");

        DownloadState.Write(path, Id, 3_000_000, 3, [0]);
        DownloadState.Write(path, Id, 3_000_000, 3, [0, 2]);

        Assert.Equal([0, 2], DownloadState.Read(path, Id, 3_000_000, 3));
        Assert.Equal(["x.part.state"], System.IO.Directory.GetFiles(folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_record_that_cannot_be_put_in_place_leaves_no_temporary_file()
    {
        using var folder = new TempFolder();
        // A folder where the record should go: the rename fails, as a write fails on a full disk.
        var path = Path.Combine(folder.Path, "x.part.state");
        System.IO.Directory.CreateDirectory(path);

        Assert.ThrowsAny<IOException>(() => DownloadState.Write(path, Id, 3_000_000, 3, [0]));

        Assert.Empty(System.IO.Directory.GetFiles(folder.Path));
    }
}
