using P2PShare.Protocol;

namespace P2PShare.Fuzz;

/// <summary>One thing to fuzz: its name (the folder of its seeds in fuzz/corpus), what its input is, and the check it runs.</summary>
internal sealed record FuzzTarget(string Name, string Input, Action<byte[]> Run)
{
    /// <summary>
    /// Every target, the frame reader first. PING and PONG (<see cref="EmptyPayload"/>) have no
    /// target of their own: AFL++ takes no empty seed, and 'codec' and 'frames' reach them.
    /// </summary>
    public static IReadOnlyList<FuzzTarget> All(FrameStreamHarness frames) =>
    [
        new("frames", "control byte (channel, write pieces), then a stream of frames", input => frames.Run(input)),
        new("codec", "type byte, channel byte (bit 0: peer), then a payload", input =>
        {
            if (input.Length >= 2)
            {
                DecoderContract.Check(input[0], input.AsSpan(2), (input[1] & 1) == 0 ? Channel.Directory : Channel.Peer);
            }
        }),
        Payload("register", MessageType.Register, Channel.Directory),
        Payload("search", MessageType.SearchOrGet, Channel.Directory),
        Payload("results", MessageType.Results, Channel.Directory),
        Payload("get", MessageType.SearchOrGet, Channel.Peer),
        Payload("data", MessageType.Data, Channel.Peer),
        Payload("error", MessageType.Error, Channel.Peer),
        Payload("ok", MessageType.Ok, Channel.Directory),
        Payload("add", MessageType.Add, Channel.Directory),
        Payload("remove", MessageType.Remove, Channel.Directory),
        Payload("hashes", MessageType.Hashes, Channel.Peer),
        Payload("hashlist", MessageType.HashList, Channel.Peer),
        Payload("locate", MessageType.Locate, Channel.Directory),
        Payload("sources", MessageType.Sources, Channel.Directory),
        Payload("hold", MessageType.Hold, Channel.Directory),
        Payload("chunks", MessageType.Chunks, Channel.Peer),
        Payload("chunkmap", MessageType.ChunkMap, Channel.Peer),
        new("filename", "a file name as bytes (also read as UTF-16)", input => FileNameHarness.Run(input)),
        new("resume", "switch byte (fix checksums, expect slot 0's fields), then a NAME.part.state file (ResumeRecordFormat)", input => ResumeRecordHarness.Run(input)),
    ];

    /// <summary>A target for one message type's decoder and view: the input is its payload.</summary>
    private static FuzzTarget Payload(string name, MessageType type, Channel channel) =>
        new(name, $"payload of type {(byte)type} on a {channel.ToString().ToLowerInvariant()} connection, for its view and MessageCodec", input => DecoderContract.Check((byte)type, input, channel));
}
