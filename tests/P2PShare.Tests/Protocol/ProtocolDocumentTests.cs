using System.Net;
using System.Security.Cryptography;
using System.Text;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary>
/// Keeps PROTOCOL.md honest: every <c>```hex</c> example in it must be exactly what the codec
/// encodes for the message the example describes, in the order the document shows them.
/// </summary>
public class ProtocolDocumentTests
{
    /// <summary>The examples of PROTOCOL.md, in document order: message, channel, raw bytes after the frame.</summary>
    private static readonly (Message Message, Channel Channel, byte[] After)[] Examples =
    [
        (new RegisterMessage(3300, [Wire.HelloTxt]), Channel.Directory, []),
        (new SearchMessage("hello txt"), Channel.Directory, []),
        (new ResultsMessage(
        [
            new PeerFiles(IPAddress.Parse("192.168.1.20"), 3300, [Wire.HelloTxt]),
            new PeerFiles(IPAddress.Parse("2001:db8::7"), 3301, [Wire.HelloTxt]),
        ]), Channel.Directory, []),
        (new GetMessage("hello.txt"), Channel.Peer, []),
        (new GetMessage("hello.txt", 1, 3, Wire.HelloId), Channel.Peer, []),
        (new DataMessage(1, 3), Channel.Peer, "ell"u8.ToArray()),
        (new ErrorMessage(ErrorCode.NotFound, "no such file"), Channel.Peer, []),
        (new OkMessage(1), Channel.Directory, []),
        (PingMessage.Instance, Channel.Directory, []),
        (PongMessage.Instance, Channel.Directory, []),
        (new AddMessage([new FileEntry("b.bin", 0, Wire.EmptyId)]), Channel.Directory, []),
        (new RemoveMessage(["hello.txt"]), Channel.Directory, []),
        (new HashesMessage(Wire.HelloId), Channel.Peer, []),
        (new HashListMessage(1_048_576, SHA256.HashData("hello"u8)), Channel.Peer, []),
        (new LocateMessage(Wire.HelloId), Channel.Directory, []),
        (new SourcesMessage(Wire.HelloId,
        [
            new HeldSource(IPAddress.Parse("192.168.1.20"), 3300, 5, HeldSource.WholeFile),
            new HeldSource(IPAddress.Parse("2001:db8::7"), 3301, 5, 0),
        ],
        "hello.txt"), Channel.Directory, []),
        (new SourcesMessage(Wire.HelloId, []), Channel.Directory, []),
        (new HoldMessage([new HoldItem(Wire.Id(9), (3 * (ulong)Limits.ChunkSize) - 1, 2), new HoldItem(Wire.HelloId, 5, 0)]), Channel.Directory, []),
        (new ChunksMessage(Wire.HelloId), Channel.Peer, []),
        (new ChunkMapMessage(11, [0xa0, 0x60], [0x50, 0x00]), Channel.Peer, []),
    ];

    private static string ReadDocument()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "PROTOCOL.md");
            if (File.Exists(path))
            {
                return File.ReadAllText(path);
            }
        }

        Assert.Fail("PROTOCOL.md not found above " + AppContext.BaseDirectory);
        return "";
    }

    /// <summary>The bytes of each <c>```hex</c> block: comments after '#' and whitespace removed.</summary>
    private static List<string> HexBlocks(string document)
    {
        var blocks = new List<string>();
        StringBuilder? current = null;
        foreach (var rawLine in document.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (current is null)
            {
                if (line.Trim() == "```hex")
                {
                    current = new StringBuilder();
                }

                continue;
            }

            if (line.Trim() == "```")
            {
                blocks.Add(current.ToString());
                current = null;
                continue;
            }

            var comment = line.IndexOf('#', StringComparison.Ordinal);
            var bytes = comment >= 0 ? line[..comment] : line;
            foreach (var token in bytes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                Assert.Matches("^[0-9a-f]{2}$", token);
                current.Append(token);
            }
        }

        Assert.Null(current);
        return blocks;
    }

    private static string Spaced(ReadOnlySpan<byte> bytes) =>
        string.Join(' ', bytes.ToArray().Select(b => b.ToString("x2")));

    [Fact]
    public void The_hex_examples_are_what_the_codec_encodes()
    {
        var blocks = HexBlocks(ReadDocument());

        var expected = Examples
            .Select(e => Wire.ToHex(MessageCodec.EncodeFrame(e.Message)) + Wire.ToHex(e.After))
            .ToList();
        Assert.Equal(expected, blocks);
    }

    [Fact]
    public void The_hex_examples_decode_to_the_messages_they_describe()
    {
        var blocks = HexBlocks(ReadDocument());
        Assert.Equal(Examples.Length, blocks.Count);

        for (var i = 0; i < Examples.Length; i++)
        {
            var (message, channel, after) = Examples[i];
            var bytes = Convert.FromHexString(blocks[i]);
            var frame = bytes[..^after.Length];
            Assert.Equal(message, Wire.DecodeFrame(frame, channel));
            Assert.Equal(after, bytes[^after.Length..]);
        }
    }

    [Fact]
    public void Every_message_type_has_an_example()
    {
        string[] expected = ["ADD", "CHUNKS", "CHUNK_MAP", "DATA", "ERROR", "GET", "HASHES", "HASH_LIST", "HOLD", "LOCATE", "OK", "PING", "PONG", "REGISTER", "REMOVE", "RESULTS", "SEARCH", "SOURCES"];
        var names = Examples.Select(e => e.Message.Name).Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, names);
    }

    [Fact]
    public void The_HASH_LIST_example_is_the_answer_to_the_HASHES_example()
    {
        var hashes = Examples.Select(e => e.Message).OfType<HashesMessage>().Single();
        var list = Examples.Select(e => e.Message).OfType<HashListMessage>().Single();

        Assert.True(list.Matches(hashes.Id));
        Assert.Equal(HashListMessage.ChunkCount(5), list.Count);
    }

    [Fact]
    public void The_inline_examples_are_what_the_codec_encodes()
    {
        var document = ReadDocument();

        // Strings (section 3.2): the payload of a SEARCH is exactly one string.
        Assert.Contains("`" + Spaced(Wire.Payload(new SearchMessage("hello.txt"))) + "`", document, StringComparison.Ordinal);
        Assert.Contains("`" + Spaced(Wire.Payload(new SearchMessage(""))) + "`", document, StringComparison.Ordinal);
        Assert.Contains("`" + Spaced(Wire.Payload(new SearchMessage("é€"))) + "`", document, StringComparison.Ordinal);

        // Empty frames and the empty RESULTS.
        Assert.Contains("`" + Spaced(MessageCodec.EncodeFrame(PingMessage.Instance)) + "`", document, StringComparison.Ordinal);
        Assert.Contains("`" + Spaced(MessageCodec.EncodeFrame(PongMessage.Instance)) + "`", document, StringComparison.Ordinal);
        Assert.Contains("`" + Spaced(MessageCodec.EncodeFrame(new ResultsMessage([]))) + "`", document, StringComparison.Ordinal);

        // Addresses (section 3.5): the first peer record bytes of a RESULTS, after the count.
        var v4 = Wire.Payload(new ResultsMessage([new PeerFiles(IPAddress.Parse("192.168.1.20"), 1, [])]));
        Assert.Contains("`" + Spaced(v4.AsSpan(4, 5)) + "`", document, StringComparison.Ordinal);
        var v6 = Wire.Payload(new ResultsMessage([new PeerFiles(IPAddress.Parse("2001:db8::7"), 1, [])]));
        Assert.Contains("`" + Spaced(v6.AsSpan(4, 17)) + "`", document, StringComparison.Ordinal);

        // CHUNK_MAP of a whole file (section 5.17): the payload for 11 chunks, the frame for none.
        Assert.Contains("`" + Spaced(Wire.Payload(ChunkMapMessage.All(11))) + "`", document, StringComparison.Ordinal);
        Assert.Contains("`" + Spaced(MessageCodec.EncodeFrame(ChunkMapMessage.All(0))) + "`", document, StringComparison.Ordinal);

        // Content ids (section 3.4).
        Assert.Contains("`" + ContentHasher.Compute([]) + "`", document, StringComparison.Ordinal);
        Assert.Contains("`" + ContentHasher.Compute("hello"u8) + "`", document, StringComparison.Ordinal);
    }

    [Fact]
    public void The_documented_limits_and_ports_are_those_of_the_code()
    {
        var document = ReadDocument();
        Assert.Equal(16_777_216, Limits.MaxControlPayload);
        Assert.Contains("16,777,216", document, StringComparison.Ordinal);
        Assert.Equal(1_048_576, Limits.ChunkSize);
        Assert.Contains("1,048,576", document, StringComparison.Ordinal);
        Assert.Equal(1024, Limits.MaxNameBytes);
        Assert.Contains("at most **1024 bytes**", document, StringComparison.Ordinal);
        Assert.Equal(1000, Limits.MaxSearchResults);
        Assert.Contains("at most **1000 file entries**", document, StringComparison.Ordinal);
        // The largest HASH_LIST: (16,777,216 − 8) / 32 digests.
        Assert.Equal(524_287, (Limits.MaxControlPayload - 8) / Limits.IdLength);
        Assert.Contains("524,287", document, StringComparison.Ordinal);
        // Issue 14's bounds (section 4).
        Assert.Equal(1000, Limits.MaxSources);
        Assert.Contains("| Source records in one SOURCES | 1000 |", document, StringComparison.Ordinal);
        Assert.Equal(1024, Limits.MaxHoldItems);
        Assert.Contains("| Items in one HOLD | 1024 |", document, StringComparison.Ordinal);
        Assert.Equal(45_060, FrameLimits.MaxHoldPayload);
        Assert.Contains("HOLD: 4 + 44 × 1,024 = 45,060", document, StringComparison.Ordinal);
        Assert.Equal(32_062, FrameLimits.MaxSourcesPayload);
        Assert.Contains("SOURCES: 32 + 4 + 1,000 × 31 + 2 + 1,024 = 32,062", document, StringComparison.Ordinal);
        Assert.Equal(131_076, FrameLimits.MaxChunkMapPayload);
        Assert.Contains("CHUNK_MAP: 4 + 2 × 65,536 = 131,076", document, StringComparison.Ordinal);
        Assert.Equal(4_096, FrameLimits.MaxErrorPayload);
        Assert.Contains("ERROR: 4,096", document, StringComparison.Ordinal);
        Assert.Equal(1_074, FrameLimits.MaxGetPayload);
        Assert.Contains("GET: 2 + 1,024 + 8 + 8 + 32 = 1,074", document, StringComparison.Ordinal);
        Assert.Contains("**3400**", document, StringComparison.Ordinal);
        Assert.Contains("**3300**", document, StringComparison.Ordinal);
    }
}
