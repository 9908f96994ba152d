using System.Net;
using System.Security.Cryptography;
using System.Text;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Fuzz;

/// <summary>
/// Writes the seed corpus: valid input for every target. The frames are the examples of
/// PROTOCOL.md (whose bytes GoldenBytesTests and ProtocolDocumentTests check against the encoder)
/// and a few more of each type, encoded with <see cref="MessageCodec"/>.
/// </summary>
internal static class SeedCorpus
{
    private static readonly ContentId HelloId = ResumeRecordHarness.ExpectedId;
    private static readonly ContentId EmptyId = new(SHA256.HashData([]));
    private static readonly FileEntry HelloTxt = new("hello.txt", 5, HelloId);

    /// <summary>Every seed frame: a name, the message, the channel it travels on, and the raw bytes that follow it (DATA).</summary>
    private static readonly (string Name, Message Message, Channel Channel, byte[] After)[] Frames =
    [
        ("register", new RegisterMessage(3300, [HelloTxt]), Channel.Directory, []),
        ("register-none", new RegisterMessage(3400, []), Channel.Directory, []),
        ("register-three", new RegisterMessage(65535, [HelloTxt, new FileEntry("music/äöü ♫.ogg", 123_456_789_012, Id(7)), new FileEntry("日本語/ファイル.txt", 0, EmptyId)]), Channel.Directory, []),
        // Larger than FrameConnection's 4 KiB receive buffer: the payload gets a buffer of its own.
        ("register-large", new RegisterMessage(3300, [.. Enumerable.Range(0, 100).Select(i => new FileEntry($"folder/file {i}.dat", (ulong)i * 1000, Id((byte)i)))]), Channel.Directory, []),
        ("search", new SearchMessage("hello txt"), Channel.Directory, []),
        ("search-empty", new SearchMessage(""), Channel.Directory, []),
        ("search-unicode", new SearchMessage("é€ 日本"), Channel.Directory, []),
        ("results", new ResultsMessage(
        [
            new PeerFiles(IPAddress.Parse("192.168.1.20"), 3300, [HelloTxt]),
            new PeerFiles(IPAddress.Parse("2001:db8::7"), 3301, [HelloTxt]),
        ]), Channel.Directory, []),
        ("results-none", new ResultsMessage([]), Channel.Directory, []),
        ("results-mixed", new ResultsMessage(
        [
            new PeerFiles(IPAddress.Parse("10.0.0.1"), 1, [new FileEntry("x", 1, Id(200)), new FileEntry("y/z", 2, Id(100))]),
            new PeerFiles(IPAddress.IPv6Loopback, 65535, [new FileEntry("a/b/c.bin", ulong.MaxValue, Id(1))]),
        ]), Channel.Directory, []),
        ("get", new GetMessage("hello.txt"), Channel.Peer, []),
        ("get-range", new GetMessage("hello.txt", 1, 3, HelloId), Channel.Peer, []),
        ("data", new DataMessage(1, 3), Channel.Peer, "ell"u8.ToArray()),
        ("data-empty", new DataMessage(5, 0), Channel.Peer, []),
        ("error", new ErrorMessage(ErrorCode.NotFound, "no such file"), Channel.Peer, []),
        ("error-empty", new ErrorMessage(ErrorCode.Internal, ""), Channel.Directory, []),
        ("ok", new OkMessage(1), Channel.Directory, []),
        ("ping", PingMessage.Instance, Channel.Directory, []),
        ("pong", PongMessage.Instance, Channel.Peer, []),
        ("add", new AddMessage([new FileEntry("b.bin", 0, EmptyId)]), Channel.Directory, []),
        ("add-two", new AddMessage([new FileEntry(".hidden/..a", 42, Id(42)), HelloTxt]), Channel.Directory, []),
        ("remove", new RemoveMessage(["hello.txt"]), Channel.Directory, []),
        ("remove-two", new RemoveMessage(["hello.txt", "music/äöü ♫.ogg"]), Channel.Directory, []),
        ("hashes", new HashesMessage(HelloId), Channel.Peer, []),
        ("hashlist", new HashListMessage(Limits.ChunkSize, SHA256.HashData("hello"u8)), Channel.Peer, []),
        ("hashlist-none", new HashListMessage(Limits.ChunkSize, []), Channel.Peer, []),
        ("hashlist-three", new HashListMessage(Limits.ChunkSize, [.. Id(1).ToArray(), .. Id(50).ToArray(), .. Id(200).ToArray()]), Channel.Peer, []),
        ("locate", new LocateMessage(HelloId), Channel.Directory, []),
        ("sources", new SourcesMessage(HelloId,
        [
            new HeldSource(IPAddress.Parse("192.168.1.20"), 3300, 5, HeldSource.WholeFile),
            new HeldSource(IPAddress.Parse("2001:db8::7"), 3301, 5, 1),
        ], "hello.txt"), Channel.Directory, []),
        ("sources-none", new SourcesMessage(Id(3), []), Channel.Directory, []),
        ("hold", new HoldMessage([new HoldItem(Id(9), (20UL * Limits.ChunkSize) - 7, 5)]), Channel.Directory, []),
        ("hold-withdraw", new HoldMessage([new HoldItem(HelloId, 5, 0), new HoldItem(Id(9), 3, 1)]), Channel.Directory, []),
        ("chunks", new ChunksMessage(HelloId), Channel.Peer, []),
        ("chunkmap", ChunkMapMessage.All(11), Channel.Peer, []),
        ("chunkmap-none", new ChunkMapMessage(0, []), Channel.Peer, []),
        ("chunkmap-fetching", new ChunkMapMessage(11, [0xa0, 0x60], [0x50, 0x00]), Channel.Peer, []),
    ];

    private static readonly string[] Names =
    [
        "hello.txt", "music/äöü ♫.ogg", "日本語/ファイル.txt", ".hidden", "..a/a..", "a/b/c/d.e",
        string.Concat(Enumerable.Repeat("€", 341)) + "a",
    ];

    public static void Write(string directory)
    {
        var targets = new Dictionary<string, List<(string Name, byte[] Bytes)>>();
        void Add(string target, string name, byte[] bytes)
        {
            if (!targets.TryGetValue(target, out var seeds))
            {
                targets[target] = seeds = [];
            }

            seeds.Add((name, bytes));
        }

        foreach (var (name, message, channel, after) in Frames)
        {
            var frame = MessageCodec.EncodeFrame(message);
            var payload = frame[Limits.FrameHeaderLength..];
            var channelBit = channel == Channel.Peer ? (byte)1 : (byte)0;
            Add("frames", name, [channelBit, .. frame, .. after]);
            Add("codec", name, [(byte)message.Type, channelBit, .. payload]);
            if (payload.Length > 0)
            {
                // AFL++ refuses empty seeds: PING and PONG are seeds of 'codec' and 'frames' only.
                Add(TargetOf(message), name, payload);
            }
        }

        // Whole conversations, written at once and in pieces, read as frames and as messages (small
        // frames only: each piece is a round trip through the reader).
        foreach (var channel in new[] { Channel.Directory, Channel.Peer })
        {
            var stream = Frames.Where(f => f.Channel == channel && f.Name != "register-large").SelectMany(f => MessageCodec.EncodeFrame(f.Message).Concat(f.After)).ToArray();
            var channelBit = channel == Channel.Peer ? (byte)1 : (byte)0;
            var name = channel.ToString().ToLowerInvariant();
            Add("frames", $"{name}-stream", [channelBit, .. stream]);
            Add("frames", $"{name}-stream-pieces", [(byte)(channelBit | (3 << 1)), .. stream]);
            Add("frames", $"{name}-stream-messages", [(byte)(channelBit | 0x80), .. stream]);
            Add("frames", $"{name}-stream-messages-pieces", [(byte)(channelBit | 0x80 | (5 << 1)), .. stream]);
        }

        for (var i = 0; i < Names.Length; i++)
        {
            Add("filename", $"name{i}", Encoding.UTF8.GetBytes(Names[i]));
        }

        var hello = ResumeRecordFormat.EncodeFile(HelloId, 5, 1, [0]);
        Add("resume", "hello", [0, .. hello]);
        Add("resume", "hello-nothing-done", [0, .. ResumeRecordFormat.EncodeFile(HelloId, 5, 1, Array.Empty<int>())]);
        // A rewrite cut short: slot 1 torn, slot 0 still holds the record.
        Add("resume", "hello-slot-1-torn", [0, .. hello.AsSpan(0, hello.Length / 2), .. new byte[hello.Length / 2]]);
        Add("resume", "twenty-chunks", [2, .. ResumeRecordFormat.EncodeFile(Id(9), 20L * Limits.ChunkSize - 7, 20, [0, 3, 7, 8, 19])]);
        Add("resume", "empty-file", [2, .. ResumeRecordFormat.EncodeFile(EmptyId, 0, 0, Array.Empty<int>())]);

        foreach (var (target, seeds) in targets)
        {
            var folder = Path.Combine(directory, target);
            Directory.CreateDirectory(folder);
            foreach (var (name, bytes) in seeds)
            {
                File.WriteAllBytes(Path.Combine(folder, name), bytes);
            }
        }
    }

    private static string TargetOf(Message message) => message switch
    {
        GetMessage => "get",
        HashListMessage => "hashlist",
        ChunkMapMessage => "chunkmap",
        _ => message.Name.ToLowerInvariant(),
    };

    private static ContentId Id(byte seed)
    {
        var bytes = new byte[Limits.IdLength];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(seed + i);
        }

        return new ContentId(bytes);
    }
}
