using System.Buffers;
using System.Net;
using System.Text;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary>The incremental RESULTS writer writes exactly the bytes of <see cref="ResultsMessage"/>.</summary>
public class ResultsFrameWriterTests
{
    private static byte[] Write(IReadOnlyList<PeerFiles> peers, bool utf8Names = false, bool addressBytes = false)
    {
        var buffer = new byte[ResultsFrameWriter.MaxFrameLength(peers.Sum(p => p.Files.Count) + 1)];
        var writer = new ResultsFrameWriter(buffer);
        foreach (var peer in peers)
        {
            Assert.True(addressBytes
                ? writer.TryAddPeer(peer.Address.GetAddressBytes(), peer.Port)
                : writer.TryAddPeer(peer.Address, peer.Port));
            foreach (var file in peer.Files)
            {
                Assert.True(utf8Names
                    ? writer.TryAddFile(Encoding.UTF8.GetBytes(file.Name), file.Size, file.Id)
                    : writer.TryAddFile(file.Name, file.Size, file.Id));
            }
        }

        return buffer[..writer.Finish()];
    }

    public static TheoryData<bool, bool> Variants => new() { { false, false }, { true, false }, { false, true }, { true, true } };

    [Theory]
    [MemberData(nameof(Variants))]
    public void The_sample_RESULTS_is_written_byte_for_byte(bool utf8Names, bool addressBytes)
    {
        var message = (ResultsMessage)Wire.Sample("RESULTS");
        Assert.Equal(MessageCodec.EncodeFrame(message), Write(message.Peers, utf8Names, addressBytes));
    }

    [Fact]
    public void No_peers_is_an_empty_RESULTS()
    {
        Assert.Equal(MessageCodec.EncodeFrame(new ResultsMessage([])), Write([]));
    }

    [Fact]
    public void Many_random_results_are_written_byte_for_byte()
    {
        var random = new Random(5);
        for (var round = 0; round < 50; round++)
        {
            var peers = Enumerable.Range(0, random.Next(1, 20)).Select(p =>
            {
                var address = random.Next(3) switch
                {
                    0 => new IPAddress(random.NextInt64(0, uint.MaxValue)),
                    1 => IPAddress.Parse($"2001:db8::{random.Next(1, 65535):x}"),
                    _ => IPAddress.Parse($"::ffff:10.0.{random.Next(256)}.{random.Next(256)}"),
                };
                var files = Enumerable.Range(0, random.Next(1, 30))
                    .Select(f => new FileEntry($"folder {p}/file {f} ü {new string('x', random.Next(0, 300))}.bin", (ulong)random.NextInt64(), Wire.Id((byte)random.Next(256))))
                    .ToArray();
                return new PeerFiles(address, (ushort)random.Next(1, 65536), files);
            }).ToArray();

            var expected = MessageCodec.EncodeFrame(new ResultsMessage(peers));
            Assert.Equal(expected, Write(peers));
            Assert.Equal(expected, Write(peers, utf8Names: true));
        }
    }

    [Fact]
    public void An_IPv4_mapped_address_is_sent_as_IPv4()
    {
        var mapped = new PeerFiles(IPAddress.Parse("::ffff:10.1.2.3"), 3300, [Wire.HelloTxt]);
        var plain = new PeerFiles(IPAddress.Parse("10.1.2.3"), 3300, [Wire.HelloTxt]);
        Assert.Equal(MessageCodec.EncodeFrame(new ResultsMessage([plain])), Write([mapped]));
        Assert.Equal(MessageCodec.EncodeFrame(new ResultsMessage([plain])), Write([mapped], addressBytes: true));
    }

    [Fact]
    public void A_peer_without_files_is_left_out()
    {
        var buffer = new byte[1000];
        var writer = new ResultsFrameWriter(buffer);
        Assert.True(writer.TryAddPeer(IPAddress.Parse("10.0.0.1"), 1));
        Assert.True(writer.TryAddPeer(IPAddress.Parse("2001:db8::1"), 2));
        Assert.True(writer.TryAddFile("a", 1, Wire.HelloId));
        Assert.True(writer.TryAddPeer(IPAddress.Parse("10.0.0.3"), 3));
        var length = writer.Finish();

        Assert.Equal(1, writer.PeerCount);
        Assert.Equal(1, writer.FileCount);
        var expected = new ResultsMessage([new PeerFiles(IPAddress.Parse("2001:db8::1"), 2, [new FileEntry("a", 1, Wire.HelloId)])]);
        Assert.Equal(MessageCodec.EncodeFrame(expected), buffer[..length]);
    }

    [Fact]
    public void A_full_buffer_refuses_more_and_the_frame_stays_valid()
    {
        var buffer = new byte[200];
        var writer = new ResultsFrameWriter(buffer);
        Assert.True(writer.TryAddPeer(IPAddress.Loopback, 3300));
        var added = 0;
        while (writer.TryAddFile($"file {added}.txt", 5, Wire.HelloId))
        {
            added++;
        }

        Assert.False(writer.TryAddPeer(IPAddress.IPv6Loopback, 3301) && writer.TryAddFile(new string('n', 100), 1, Wire.HelloId));
        var length = writer.Finish();

        var decoded = Assert.IsType<ResultsMessage>(Wire.DecodeFrame(buffer.AsSpan(0, length), Channel.Directory));
        Assert.Single(decoded.Peers);
        Assert.Equal(added, decoded.Peers[0].Files.Count);
        Assert.True(added >= 3);
    }

    [Fact]
    public void It_writes_into_a_buffer_writer()
    {
        var message = (ResultsMessage)Wire.Sample("RESULTS");
        var output = new ArrayBufferWriter<byte>();
        output.Write(new byte[] { 0xAA });
        var writer = new ResultsFrameWriter(output, ResultsFrameWriter.MaxFrameLength(10));
        foreach (var peer in message.Peers)
        {
            writer.TryAddPeer(peer.Address, peer.Port);
            foreach (var file in peer.Files)
            {
                writer.TryAddFile(file.Name, file.Size, file.Id);
            }
        }

        var length = writer.Finish();
        Assert.Equal([0xAA, .. MessageCodec.EncodeFrame(message)], output.WrittenSpan.ToArray());
        Assert.Equal(output.WrittenCount - 1, length);
    }

    [Fact]
    public void Misuse_is_an_error()
    {
        var buffer = new byte[1000];
        Assert.Throws<InvalidOperationException>(() =>
        {
            var writer = new ResultsFrameWriter(buffer);
            writer.TryAddFile("a", 1, Wire.HelloId);
        });
        Assert.Throws<InvalidOperationException>(() =>
        {
            var writer = new ResultsFrameWriter(buffer);
            writer.Finish();
            writer.TryAddPeer(IPAddress.Loopback, 1);
        });
        Assert.Throws<ArgumentException>(() =>
        {
            var writer = new ResultsFrameWriter(buffer);
            writer.TryAddPeer([1, 2, 3], 1);
        });
        Assert.Throws<ArgumentException>(() => new ResultsFrameWriter(new byte[8]));
    }

    [Fact]
    public void The_largest_frame_for_1000_results_fits_within_the_limit()
    {
        var max = ResultsFrameWriter.MaxFrameLength(Limits.MaxSearchResults);
        Assert.True(max < Limits.MaxControlPayload);
        Assert.Equal(9 + 1000 * (23 + 1066), max);
    }
}
