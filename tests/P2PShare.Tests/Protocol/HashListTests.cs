using System.Security.Cryptography;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary>
/// The chunk digests of a HASH_LIST as the content hashing produces them, and the check a
/// downloader makes before it trusts a list: SHA-256 over the digests is the id, and the count
/// is the file's number of chunks.
/// </summary>
public class HashListTests
{
    private const int MiB = 1024 * 1024;

    /// <summary>Deterministic pseudo-random bytes.</summary>
    private static byte[] Data(int length, int seed = 1)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Feeds <paramref name="data"/> to a builder that keeps the chunk digests, in uneven pieces.</summary>
    private static (ContentId Id, byte[] Digests) Build(byte[] data)
    {
        using var builder = new ContentIdBuilder(keepChunkDigests: true);
        int[] sizes = [1, 4095, MiB - 3, 7, MiB + 5, 65536];
        var offset = 0;
        for (var i = 0; offset < data.Length; i++)
        {
            var take = Math.Min(sizes[i % sizes.Length], data.Length - offset);
            builder.Append(data.AsSpan(offset, take));
            offset += take;
        }

        var id = builder.Finish();
        return (id, builder.ChunkDigests);
    }

    public static TheoryData<int> Sizes => new(0, 1, MiB, MiB + 1, 3 * MiB);

    [Theory]
    [MemberData(nameof(Sizes))]
    public void The_builder_keeps_the_SHA256_of_every_chunk_in_order(int size)
    {
        var data = Data(size, size);
        var (id, digests) = Build(data);

        Assert.Equal(HashListMessage.ChunkCount((ulong)size) * Limits.IdLength, digests.Length);
        for (var chunk = 0; chunk * MiB < size; chunk++)
        {
            var bytes = data.AsSpan(chunk * MiB, Math.Min(MiB, size - chunk * MiB));
            Assert.Equal(SHA256.HashData(bytes), digests.AsSpan(chunk * Limits.IdLength, Limits.IdLength).ToArray());
        }

        Assert.Equal(ContentHasher.Compute(data), id);
        Assert.Equal(SHA256.HashData(digests), id.ToArray());
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void A_HASH_LIST_of_the_builders_digests_matches_the_id_it_finished_with(int size)
    {
        var data = Data(size, size + 1);
        var (id, digests) = Build(data);
        var list = new HashListMessage(Limits.ChunkSize, digests);

        Assert.True(list.Matches(id));
        Assert.Equal(HashListMessage.ChunkCount((ulong)size), list.Count);
        Assert.False(list.Matches(ContentHasher.Compute(Data(size + 1, size + 1))));
        Assert.False(list.Matches(ContentId.Zero));

        // The list still matches after a trip over the wire.
        var decoded = Assert.IsType<HashListMessage>(Wire.DecodeFrame(MessageCodec.EncodeFrame(list), Channel.Peer));
        Assert.True(decoded.Matches(id));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void A_HASH_LIST_with_one_digest_byte_changed_does_not_match(int size)
    {
        var data = Data(size, size + 2);
        var (id, digests) = Build(data);
        if (digests.Length == 0)
        {
            // No digest to change: the empty list matches only the id of the empty file.
            Assert.Equal(Wire.EmptyId, id);
            Assert.False(new HashListMessage(Limits.ChunkSize, Wire.HelloId.ToArray()).Matches(id));
            return;
        }

        foreach (var position in new[] { 0, 31, digests.Length / 2, digests.Length - 1 })
        {
            foreach (var flip in new byte[] { 0x01, 0x80 })
            {
                var changed = digests.ToArray();
                changed[position] ^= flip;
                Assert.False(new HashListMessage(Limits.ChunkSize, changed).Matches(id), $"byte {position} ^ {flip:x2}");
            }
        }
    }

    [Fact]
    public void A_HASH_LIST_with_a_digest_missing_or_added_does_not_match()
    {
        var (id, digests) = Build(Data(3 * MiB, 5));

        Assert.False(new HashListMessage(Limits.ChunkSize, digests.AsSpan(0, 2 * Limits.IdLength)).Matches(id));
        Assert.False(new HashListMessage(Limits.ChunkSize, [.. digests, .. digests.AsSpan(0, Limits.IdLength)]).Matches(id));
        Assert.False(new HashListMessage(Limits.ChunkSize, []).Matches(id));
    }

    [Theory]
    [InlineData(0UL, 0L)]
    [InlineData(1UL, 1L)]
    [InlineData(1_048_575UL, 1L)]
    [InlineData(1_048_576UL, 1L)]
    [InlineData(1_048_577UL, 2L)]
    [InlineData(3_145_728UL, 3L)]
    [InlineData(3_145_729UL, 4L)]
    [InlineData(549_755_813_888UL, 524_288L)] // 512 GiB
    [InlineData(ulong.MaxValue - 1_048_575, 17_592_186_044_415L)] // 2^44 − 1 whole chunks
    [InlineData(ulong.MaxValue, 17_592_186_044_416L)] // 2^44: no wrap-around
    public void ChunkCount_is_the_size_divided_by_1_MiB_rounded_up(ulong size, long chunks)
    {
        Assert.Equal(chunks, HashListMessage.ChunkCount(size));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task ComputeFileWithChunksAsync_gives_the_builders_id_and_digests(int size)
    {
        var data = Data(size, size + 3);
        var expected = Build(data);
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, data, TestContext.Current.CancellationToken);

            var (id, digests) = await ContentHasher.ComputeFileWithChunksAsync(path, keepChunkDigests: true, TestContext.Current.CancellationToken);
            Assert.Equal(expected.Id, id);
            Assert.Equal(expected.Digests, digests);
            Assert.True(new HashListMessage(Limits.ChunkSize, digests).Matches(id));

            var (idOnly, none) = await ContentHasher.ComputeFileWithChunksAsync(path, keepChunkDigests: false, TestContext.Current.CancellationToken);
            Assert.Equal(expected.Id, idOnly);
            Assert.Empty(none);
            Assert.Equal(expected.Id, await ContentHasher.ComputeFileAsync(path, TestContext.Current.CancellationToken));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task ComputeWithChunksAsync_over_a_stream_gives_the_builders_id_and_digests()
    {
        var data = Data(2 * MiB + 3, 13);
        var expected = Build(data);
        using var stream = new MemoryStream(data);

        var (id, digests) = await ContentHasher.ComputeWithChunksAsync(stream, keepChunkDigests: true, TestContext.Current.CancellationToken);

        Assert.Equal(expected.Id, id);
        Assert.Equal(expected.Digests, digests);
    }

    [Fact]
    public void A_builder_that_does_not_keep_digests_refuses_to_give_them()
    {
        using var builder = new ContentIdBuilder();
        builder.Append([1, 2, 3]);
        builder.Finish();
        Assert.Throws<InvalidOperationException>(() => builder.ChunkDigests);
    }
}
