using System.Net;
using System.Text;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary>Helpers shared by the protocol tests: hex, framing and sample messages.</summary>
internal static class Wire
{
    /// <summary>SHA-256 of nothing: the id of an empty file.</summary>
    public const string EmptyIdHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// <summary>The id of the 5-byte file "hello": SHA256(SHA256("hello")).</summary>
    public const string HelloIdHex = "9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50";

    public static ContentId EmptyId => ContentId.Parse(EmptyIdHex);

    public static ContentId HelloId => ContentId.Parse(HelloIdHex);

    public static FileEntry HelloTxt => new("hello.txt", 5, HelloId);

    /// <summary>Hex with any whitespace (and '|' used as a field separator) removed.</summary>
    public static byte[] Hex(string hex)
    {
        var builder = new StringBuilder(hex.Length);
        foreach (var c in hex)
        {
            if (!char.IsWhiteSpace(c) && c != '|')
            {
                builder.Append(c);
            }
        }

        return Convert.FromHexString(builder.ToString());
    }

    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>Parses the header of a complete frame and decodes its payload.</summary>
    public static Message DecodeFrame(ReadOnlySpan<byte> frame, Channel channel)
    {
        var header = FrameHeader.Parse(frame[..Limits.FrameHeaderLength]);
        Assert.Equal((uint)(frame.Length - Limits.FrameHeaderLength), header.PayloadLength);
        return MessageCodec.Decode(header.Type, frame[Limits.FrameHeaderLength..], channel);
    }

    /// <summary>The payload of a message, without the 5-byte header.</summary>
    public static byte[] Payload(Message message) => MessageCodec.EncodeFrame(message)[Limits.FrameHeaderLength..];

    /// <summary>The connection a message travels on: GET, HASHES, HASH_LIST, CHUNKS and CHUNK_MAP only between peers.</summary>
    public static Channel ChannelOf(Message message) =>
        message is GetMessage or HashesMessage or HashListMessage or ChunksMessage or ChunkMapMessage ? Channel.Peer : Channel.Directory;

    public static ContentId Id(byte seed)
    {
        var bytes = new byte[Limits.IdLength];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(seed + i);
        }

        return new ContentId(bytes);
    }

    /// <summary>A HASH_LIST of 1 MiB chunks whose digests are <see cref="Id"/>(seed) for each seed.</summary>
    public static HashListMessage HashList(params byte[] seeds) =>
        new(Limits.ChunkSize, seeds.SelectMany(seed => Id(seed).ToArray()).ToArray());

    /// <summary>One sample of every message type, by name, with non-trivial field values.</summary>
    public static Message Sample(string name) => name switch
    {
        "REGISTER" => new RegisterMessage(3300, [HelloTxt, new FileEntry("music/äöü ♫.ogg", 123_456_789_012, Id(7)), new FileEntry("empty", 0, EmptyId)]),
        "REGISTER-none" => new RegisterMessage(65535, []),
        "SEARCH" => new SearchMessage("hello txt"),
        "SEARCH-empty" => new SearchMessage(""),
        "SEARCH-unicode" => new SearchMessage("Grüße 日本"),
        "RESULTS" => new ResultsMessage(
        [
            new PeerFiles(IPAddress.Parse("192.168.1.20"), 3300, [HelloTxt, new FileEntry("a/b/c.bin", ulong.MaxValue, Id(1))]),
            new PeerFiles(IPAddress.Parse("2001:db8::7"), 3301, [HelloTxt]),
            new PeerFiles(IPAddress.Parse("10.0.0.1"), 1, [new FileEntry("x", 1, Id(200)), new FileEntry("y/z", 2, Id(100)), new FileEntry("ω", 3, EmptyId)]),
            new PeerFiles(IPAddress.IPv6Loopback, 65535, [new FileEntry("only-v6.dat", 42, Id(42))]),
        ]),
        "RESULTS-none" => new ResultsMessage([]),
        "GET" => new GetMessage("hello.txt"),
        "GET-range" => new GetMessage("dir/hello.txt", 1, 3, HelloId),
        "GET-offset" => new GetMessage("hello.txt", Offset: 1_048_576),
        "GET-length" => new GetMessage("hello.txt", Length: 7),
        "GET-id" => new GetMessage("hello.txt", Id: HelloId),
        "DATA" => new DataMessage(1, 3),
        "DATA-max" => new DataMessage(ulong.MaxValue - 1, ulong.MaxValue),
        "ERROR" => new ErrorMessage(ErrorCode.NotFound, "no such file"),
        "ERROR-empty" => new ErrorMessage(ErrorCode.Internal, ""),
        "OK" => new OkMessage(1),
        "OK-max" => new OkMessage(uint.MaxValue),
        "PING" => PingMessage.Instance,
        "PONG" => PongMessage.Instance,
        "ADD" => new AddMessage([new FileEntry("b.bin", 0, EmptyId), HelloTxt]),
        "ADD-none" => new AddMessage([]),
        "REMOVE" => new RemoveMessage(["hello.txt", "music/äöü ♫.ogg"]),
        "REMOVE-none" => new RemoveMessage([]),
        "HASHES" => new HashesMessage(HelloId),
        "HASHES-empty-file" => new HashesMessage(EmptyId),
        "HASH_LIST" => HashList(1, 50, 200),
        "HASH_LIST-one" => HashList(7),
        "HASH_LIST-none" => HashList(),
        "LOCATE" => new LocateMessage(HelloId),
        "SOURCES" => new SourcesMessage(HelloId,
        [
            new HeldSource(IPAddress.Parse("192.168.1.20"), 3300, 5, HeldSource.WholeFile),
            new HeldSource(IPAddress.Parse("2001:db8::7"), 3301, 123_456_789_012, 17),
            new HeldSource(IPAddress.Parse("10.0.0.1"), 1, ulong.MaxValue, 0),
        ]),
        "SOURCES-none" => new SourcesMessage(Id(3), []),
        "HOLD" => new HoldMessage([new HoldItem(HelloId, 5, 1), new HoldItem(Id(9), 3 * (ulong)Limits.ChunkSize, 2), new HoldItem(Id(10), ulong.MaxValue, uint.MaxValue - 1)]),
        "HOLD-none" => new HoldMessage([]),
        "CHUNKS" => new ChunksMessage(HelloId),
        "CHUNK_MAP" => new ChunkMapMessage(11, [0b1010_0000, 0b0110_0000]),
        "CHUNK_MAP-all" => ChunkMapMessage.All(16),
        "CHUNK_MAP-none" => new ChunkMapMessage(0, []),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such sample"),
    };

    public static readonly string[] SampleNames =
    [
        "REGISTER", "REGISTER-none", "SEARCH", "SEARCH-empty", "SEARCH-unicode", "RESULTS", "RESULTS-none",
        "GET", "GET-range", "GET-offset", "GET-length", "GET-id", "DATA", "DATA-max", "ERROR", "ERROR-empty",
        "OK", "OK-max", "PING", "PONG", "ADD", "ADD-none", "REMOVE", "REMOVE-none",
        "HASHES", "HASHES-empty-file", "HASH_LIST", "HASH_LIST-one", "HASH_LIST-none",
        "LOCATE", "SOURCES", "SOURCES-none", "HOLD", "HOLD-none", "CHUNKS", "CHUNK_MAP", "CHUNK_MAP-all", "CHUNK_MAP-none",
    ];

    /// <summary>Asserts that decoding fails with a <see cref="ProtocolException"/> carrying <paramref name="code"/>.</summary>
    public static ProtocolException AssertRefused(ErrorCode code, byte type, ReadOnlySpan<byte> payload, Channel channel)
    {
        var copy = payload.ToArray();
        var ex = Assert.Throws<ProtocolException>(() => MessageCodec.Decode(type, copy, channel));
        Assert.Equal(code, ex.Code);
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));

        // The allocation-free check refuses the same bytes with the same code and reason.
        var viewEx = Assert.Throws<ProtocolException>(() => MessageCodec.Validate(type, copy, channel));
        Assert.Equal(ex.Code, viewEx.Code);
        Assert.Equal(ex.Message, viewEx.Message);
        return ex;
    }
}
