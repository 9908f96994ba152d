using System.Security.Cryptography;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

public class MultiBufferSha256Tests
{
    /// <summary>
    /// Messages of one length, each different (a lane mix-up shows), each starting at a different
    /// offset into its array (so loads are unaligned in different ways).
    /// </summary>
    private static ReadOnlyMemory<byte>[] Messages(int count, int length)
    {
        var messages = new ReadOnlyMemory<byte>[count];
        for (var i = 0; i < count; i++)
        {
            var array = new byte[length + i];
            new Random((length * 31) + i).NextBytes(array);
            messages[i] = array.AsMemory(i, length);
        }

        return messages;
    }

    private static byte[] Hash(ReadOnlyMemory<byte>[] messages)
    {
        var digests = new byte[messages.Length * 32];
        MultiBufferSha256.HashData(messages, digests);
        return digests;
    }

    public static TheoryData<int, int> CountsAndLengths()
    {
        var data = new TheoryData<int, int>();
        // Lengths around the padding's edges (55/56 bytes left: one or two tail blocks), whole
        // blocks, and a whole chunk; counts below, at and above MinMessages, and a full pass.
        foreach (var length in new[] { 0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 4113, Limits.ChunkSize })
        {
            foreach (var count in new[] { 1, MultiBufferSha256.MinMessages - 1, MultiBufferSha256.MinMessages, 13, MultiBufferSha256.Lanes })
            {
                data.Add(count, length);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CountsAndLengths))]
    public void Every_digest_is_the_SHA256_of_its_message(int count, int length)
    {
        var messages = Messages(count, length);

        var digests = Hash(messages);

        for (var i = 0; i < count; i++)
        {
            Assert.Equal(SHA256.HashData(messages[i].Span), digests.AsSpan(i * 32, 32).ToArray());
        }
    }

    [Fact]
    public void Sixteen_copies_of_abc_give_the_FIPS_180_example_digest()
    {
        var abc = "abc"u8.ToArray();
        var digests = Hash(Enumerable.Repeat(new ReadOnlyMemory<byte>(abc), MultiBufferSha256.Lanes).ToArray());

        for (var i = 0; i < MultiBufferSha256.Lanes; i++)
        {
            Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Convert.ToHexStringLower(digests.AsSpan(i * 32, 32)));
        }
    }

    [Fact]
    public void The_digests_go_where_they_are_asked_and_nowhere_else()
    {
        var messages = Messages(MultiBufferSha256.Lanes, 200);
        var destination = new byte[(MultiBufferSha256.Lanes * 32) + 7];
        Array.Fill(destination, (byte)0xA5);

        MultiBufferSha256.HashData(messages, destination);

        Assert.Equal(SHA256.HashData(messages[^1].Span), destination.AsSpan((MultiBufferSha256.Lanes - 1) * 32, 32).ToArray());
        Assert.All(destination[^7..], b => Assert.Equal(0xA5, b));
    }

    [Fact]
    public void No_messages_is_nothing_to_do()
    {
        MultiBufferSha256.HashData([], []);
    }

    [Fact]
    public void Messages_of_different_lengths_are_refused()
    {
        var messages = Messages(MultiBufferSha256.Lanes, 64);
        messages[5] = messages[5][..63];

        var error = Assert.Throws<ArgumentException>(() => MultiBufferSha256.HashData(messages, new byte[messages.Length * 32]));
        Assert.Contains("one length: 64 and 63 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void More_messages_than_lanes_are_refused()
    {
        var messages = Messages(MultiBufferSha256.Lanes + 1, 64);

        var error = Assert.Throws<ArgumentException>(() => MultiBufferSha256.HashData(messages, new byte[messages.Length * 32]));
        Assert.Contains("at most 16 messages", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_destination_too_small_for_every_digest_is_refused()
    {
        var messages = Messages(MultiBufferSha256.Lanes, 64);

        var error = Assert.Throws<ArgumentException>(() => MultiBufferSha256.HashData(messages, new byte[(messages.Length * 32) - 1]));
        Assert.Contains("need 512 bytes, not 511", error.Message, StringComparison.Ordinal);
    }
}
