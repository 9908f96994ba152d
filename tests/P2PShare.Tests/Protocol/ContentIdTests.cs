using System.Security.Cryptography;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

public class ContentIdTests
{
    private const int MiB = 1024 * 1024;

    /// <summary>Deterministic pseudo-random bytes.</summary>
    private static byte[] Data(int length, int seed = 1)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>The definition, computed independently of the library with one-shot SHA-256.</summary>
    private static byte[] ReferenceId(byte[] data)
    {
        var digests = new List<byte>();
        for (var offset = 0; offset < data.Length; offset += MiB)
        {
            digests.AddRange(SHA256.HashData(data.AsSpan(offset, Math.Min(MiB, data.Length - offset))));
        }

        return SHA256.HashData(digests.ToArray());
    }

    [Fact]
    public void An_empty_file_has_the_SHA256_of_nothing()
    {
        var id = ContentHasher.Compute([]);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", id.ToString());
        Assert.Equal(SHA256.HashData(Array.Empty<byte>()), id.ToArray());
    }

    [Fact]
    public void One_byte_is_one_short_chunk()
    {
        byte[] data = [0x61];
        var expected = SHA256.HashData(SHA256.HashData(data));
        Assert.Equal(expected, ContentHasher.Compute(data).ToArray());
        // "a": SHA256 = ca978112..., and the id hashes that digest once more.
        Assert.Equal(
            "bf5d3affb73efd2ec6c36ad3112dd933efed63c4e1cbffcfa88e2759c144f2d8",
            Convert.ToHexStringLower(expected));
    }

    [Fact]
    public void Hello_has_the_id_used_in_the_examples()
    {
        Assert.Equal(Wire.HelloIdHex, ContentHasher.Compute("hello"u8).ToString());
    }

    [Fact]
    public void Exactly_one_MiB_is_one_chunk()
    {
        var data = Data(MiB);
        var expected = SHA256.HashData(SHA256.HashData(data));
        Assert.Equal(expected, ContentHasher.Compute(data).ToArray());
    }

    [Fact]
    public void One_MiB_and_one_byte_is_two_chunks()
    {
        var data = Data(MiB + 1);
        var digests = new byte[64];
        SHA256.HashData(data.AsSpan(0, MiB), digests.AsSpan(0, 32));
        SHA256.HashData(data.AsSpan(MiB, 1), digests.AsSpan(32, 32));
        var expected = SHA256.HashData(digests);

        Assert.Equal(expected, ContentHasher.Compute(data).ToArray());
        Assert.NotEqual(SHA256.HashData(SHA256.HashData(data)), expected);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(MiB - 1)]
    [InlineData(2 * MiB)]
    [InlineData(2 * MiB + 12345)]
    [InlineData(3 * MiB - 1)]
    public void Matches_the_definition(int length)
    {
        var data = Data(length, length);
        Assert.Equal(ReferenceId(data), ContentHasher.Compute(data).ToArray());
    }

    [Fact]
    public void The_builder_fed_in_odd_sized_pieces_equals_the_whole()
    {
        var data = Data(3 * MiB + 777, 42);
        int[] sizes = [1, 7, 4093, 65537, MiB - 1, 2, MiB + 3, 0, 13];
        using var builder = new ContentIdBuilder();
        var offset = 0;
        var i = 0;
        while (offset < data.Length)
        {
            var take = Math.Min(sizes[i++ % sizes.Length], data.Length - offset);
            builder.Append(data.AsSpan(offset, take));
            offset += take;
            Assert.Equal(offset, builder.Length);
        }

        var id = builder.Finish();
        Assert.Equal(ContentHasher.Compute(data), id);
        Assert.Equal(ReferenceId(data), id.ToArray());
    }

    [Fact]
    public void The_builder_fed_one_byte_at_a_time_across_a_chunk_boundary_equals_the_whole()
    {
        var data = Data(MiB + 100, 7);
        using var builder = new ContentIdBuilder();
        builder.Append(data.AsSpan(0, MiB - 50));
        for (var offset = MiB - 50; offset < data.Length; offset++)
        {
            builder.Append(data.AsSpan(offset, 1));
        }

        Assert.Equal(ContentHasher.Compute(data), builder.Finish());
    }

    [Fact]
    public void The_builder_cannot_be_used_after_Finish()
    {
        using var builder = new ContentIdBuilder();
        builder.Append([1, 2, 3]);
        builder.Finish();
        Assert.Throws<ObjectDisposedException>(() => builder.Finish());
        Assert.Throws<ObjectDisposedException>(() => builder.Append([4]));
    }

    [Fact]
    public async Task ComputeAsync_over_a_stream_equals_Compute()
    {
        var data = Data(2 * MiB + 3, 9);
        using var stream = new MemoryStream(data);
        var id = await ContentHasher.ComputeAsync(stream, TestContext.Current.CancellationToken);
        Assert.Equal(ContentHasher.Compute(data), id);
    }

    [Fact]
    public async Task ComputeFileAsync_equals_Compute()
    {
        var data = Data(MiB + 17, 11);
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, data, TestContext.Current.CancellationToken);
            var id = await ContentHasher.ComputeFileAsync(path, TestContext.Current.CancellationToken);
            Assert.Equal(ReferenceId(data), id.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Hex_format_is_64_lower_case_digits_and_parses_back()
    {
        var id = ContentHasher.Compute(Data(1000, 3));
        var hex = id.ToString();

        Assert.Equal(64, hex.Length);
        Assert.Matches("^[0-9a-f]{64}$", hex);
        Assert.Equal(id, ContentId.Parse(hex));
        Assert.True(ContentId.TryParse(hex, out var parsed));
        Assert.Equal(id, parsed);
        Assert.Equal(Convert.ToHexStringLower(id.ToArray()), hex);
    }

    [Fact]
    public void Bytes_keep_their_order()
    {
        var bytes = Enumerable.Range(0, 32).Select(i => (byte)(0xa0 + i)).ToArray();
        var id = new ContentId(bytes);

        Assert.Equal(bytes, id.ToArray());
        Assert.Equal("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf", id.ToString());
        var copy = new byte[40];
        id.CopyTo(copy.AsSpan(4));
        Assert.Equal(bytes, copy[4..36]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85")] // 63
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555")] // 65
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g")]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85 ")]
    [InlineData(" e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85")]
    [InlineData("0xb0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb924-7ae41e4649b934ca495991b7852b855")]
    [InlineData("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")]
    public void TryParse_rejects_bad_input(string? hex)
    {
        Assert.False(ContentId.TryParse(hex, out var id));
        Assert.Equal(default, id);
        if (hex is not null)
        {
            Assert.Throws<FormatException>(() => ContentId.Parse(hex));
        }
    }

    [Fact]
    public void Zero_is_the_default_and_all_zeros()
    {
        Assert.True(ContentId.Zero.IsZero);
        Assert.True(default(ContentId).IsZero);
        Assert.Equal(new byte[32], ContentId.Zero.ToArray());
        Assert.Equal(ContentId.Zero, ContentId.Parse(new string('0', 64)));
        Assert.False(Wire.EmptyId.IsZero);

        var lastBit = new byte[32];
        lastBit[31] = 1;
        Assert.False(new ContentId(lastBit).IsZero);
    }

    [Fact]
    public void Equality_follows_the_bytes()
    {
        var a = ContentHasher.Compute("a"u8);
        var a2 = new ContentId(a.ToArray());
        var b = ContentHasher.Compute("b"u8);

        Assert.True(a == a2);
        Assert.False(a != a2);
        Assert.True(a.Equals((object)a2));
        Assert.Equal(a.GetHashCode(), a2.GetHashCode());
        Assert.True(a != b);
        Assert.False(a.Equals((object)"a"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    public void An_id_is_exactly_32_bytes(int length)
    {
        Assert.Throws<ArgumentException>(() => new ContentId(new byte[length]));
    }
}
