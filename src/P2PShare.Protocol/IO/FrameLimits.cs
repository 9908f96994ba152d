using System.Collections.Immutable;

namespace P2PShare.Protocol;

/// <summary>
/// What one receiving role accepts: which message types, and the largest payload of each
/// (PROTOCOL.md section 4, "Payload limits per receiver"). <see cref="FrameConnection"/> checks a
/// frame's header against it before it reads or allocates anything: a type this role never
/// receives is ERROR 1, a length over the type's limit ERROR 3. The channel decides what type 2
/// means (SEARCH or GET). Immutable; the tables of the four roles are shared.
/// </summary>
public sealed class FrameLimits
{
    /// <summary>Largest ERROR payload: <c>u16 code</c>, <c>u16 n</c> and at most 4,092 bytes of text.</summary>
    public const int MaxErrorPayload = 4096;

    /// <summary>Largest GET payload: the long form with a name of the largest size.</summary>
    public const int MaxGetPayload = 2 + Limits.MaxNameBytes + 8 + 8 + Limits.IdLength;

    /// <summary>Largest HOLD payload: <c>u32 count</c> and <see cref="Limits.MaxHoldItems"/> items.</summary>
    public const int MaxHoldPayload = 4 + (Limits.MaxHoldItems * Limits.HoldItemLength);

    /// <summary>Largest SOURCES payload: the id, <c>u32 count</c>, <see cref="Limits.MaxSources"/> IPv6 records and a name of the largest size.</summary>
    public const int MaxSourcesPayload = Limits.IdLength + 4 + (Limits.MaxSources * Limits.MaxSourceRecordLength) + 2 + Limits.MaxNameBytes;

    /// <summary>
    /// Largest CHUNK_MAP payload: <c>u32 count</c> and two bitmaps of 65,536 bytes, room for the
    /// 524,287 chunks of the largest file whose HASH_LIST fits in a frame.
    /// </summary>
    public const int MaxChunkMapPayload = 4 + (2 * 65_536);

    private const int NotAccepted = -1;

    // Indexed by type, 0–17; NotAccepted for a type this role never receives.
    private readonly ImmutableArray<int> _maxPayload;

    private FrameLimits(string role, Channel channel, ImmutableArray<int> maxPayload)
    {
        Role = role;
        Channel = channel;
        _maxPayload = maxPayload;
    }

    /// <summary>The peer's upload server, receiving from downloaders: GET, HASHES, CHUNKS, PING, PONG, ERROR.</summary>
    public static FrameLimits UploadServer { get; } = Create("an upload server", Channel.Peer, new()
    {
        [MessageType.SearchOrGet] = MaxGetPayload,
        [MessageType.Hashes] = Limits.IdLength,
        [MessageType.Chunks] = Limits.IdLength,
        [MessageType.Ping] = 0,
        [MessageType.Pong] = 0,
        [MessageType.Error] = MaxErrorPayload,
    });

    /// <summary>A downloader, receiving from an upload server: DATA, HASH_LIST, CHUNK_MAP, PING, PONG, ERROR.</summary>
    public static FrameLimits Downloader { get; } = Create("a downloader", Channel.Peer, new()
    {
        [MessageType.Data] = Limits.DataHeaderPayloadLength,
        [MessageType.HashList] = Limits.MaxControlPayload,
        [MessageType.ChunkMap] = MaxChunkMapPayload,
        [MessageType.Ping] = 0,
        [MessageType.Pong] = 0,
        [MessageType.Error] = MaxErrorPayload,
    });

    /// <summary>A peer's connection to the directory, receiving from the server: RESULTS, SOURCES, OK, PING, PONG, ERROR.</summary>
    public static FrameLimits DirectoryClient { get; } = Create("a directory client", Channel.Directory, new()
    {
        [MessageType.Results] = Limits.MaxControlPayload,
        [MessageType.Sources] = MaxSourcesPayload,
        [MessageType.Ok] = 4,
        [MessageType.Ping] = 0,
        [MessageType.Pong] = 0,
        [MessageType.Error] = MaxErrorPayload,
    });

    /// <summary>
    /// Every type of <paramref name="channel"/> up to the protocol's 16 MiB: for tools and tests
    /// that play any role. A server or peer uses the table of its role.
    /// </summary>
    public static FrameLimits AnyRole(Channel channel) => channel == Channel.Directory ? AnyDirectory : AnyPeer;

    /// <summary>The role's name, as ERROR texts show it ("an upload server").</summary>
    public string Role { get; }

    public Channel Channel { get; }

    private static FrameLimits AnyDirectory { get; } = Create("a receiver of any directory message", Channel.Directory, AllTypes());

    private static FrameLimits AnyPeer { get; } = Create("a receiver of any peer message", Channel.Peer, AllTypes());

    /// <summary>
    /// The directory server, receiving from peers: REGISTER, ADD and REMOVE up to 16 MiB, SEARCH
    /// up to <c>2 + <paramref name="maxQueryBytes"/></c>, LOCATE, HOLD, PING, PONG, ERROR.
    /// </summary>
    public static FrameLimits DirectoryServer(int maxQueryBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxQueryBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxQueryBytes, Limits.MaxStringBytes);
        return Create("the directory server", Channel.Directory, new()
        {
            [MessageType.Register] = Limits.MaxControlPayload,
            [MessageType.Add] = Limits.MaxControlPayload,
            [MessageType.Remove] = Limits.MaxControlPayload,
            [MessageType.SearchOrGet] = 2 + maxQueryBytes,
            [MessageType.Locate] = Limits.IdLength,
            [MessageType.Hold] = MaxHoldPayload,
            [MessageType.Ping] = 0,
            [MessageType.Pong] = 0,
            [MessageType.Error] = MaxErrorPayload,
        });
    }

    /// <summary>The largest payload accepted for <paramref name="type"/>, or null when this role never receives it.</summary>
    public int? MaxPayload(MessageType type)
    {
        var index = (int)type;
        return index < _maxPayload.Length && _maxPayload[index] != NotAccepted ? _maxPayload[index] : null;
    }

    /// <summary>
    /// This table with a lower limit for one type that it accepts, for a connection that knows
    /// more than its role does (a downloader expecting the HASH_LIST of a file of known size).
    /// </summary>
    public FrameLimits WithMaxPayload(MessageType type, int maxPayload)
    {
        var current = MaxPayload(type) ?? throw new ArgumentException($"{Role} does not receive {NameOf((byte)type, Channel)} at all", nameof(type));
        ArgumentOutOfRangeException.ThrowIfNegative(maxPayload);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxPayload, current);
        return new FrameLimits(Role, Channel, _maxPayload.SetItem((int)type, maxPayload));
    }

    /// <summary>
    /// Checks a header's type and length against the table: throws <see cref="ProtocolException"/>
    /// with ERROR 1 for a type this role does not receive, ERROR 3 for a length over its limit.
    /// The type is known to be 1–17.
    /// </summary>
    internal void Check(byte type, uint payloadLength)
    {
        var max = _maxPayload[type];
        if (max == NotAccepted)
        {
            throw new ProtocolException(ErrorCode.BadRequest, $"unexpected {NameOf(type, Channel)} (type {type}): {Role} does not receive it");
        }

        if (payloadLength > (uint)max)
        {
            throw new ProtocolException(ErrorCode.TooLarge, $"{NameOf(type, Channel)} payload length {payloadLength} exceeds the limit of {max} bytes for {NameOf(type, Channel)} sent to {Role}");
        }
    }

    /// <summary>The name PROTOCOL.md gives a type on a channel.</summary>
    internal static string NameOf(byte type, Channel channel) => (MessageType)type switch
    {
        MessageType.Register => "REGISTER",
        MessageType.SearchOrGet => channel == Channel.Directory ? "SEARCH" : "GET",
        MessageType.Results => "RESULTS",
        MessageType.Data => "DATA",
        MessageType.Error => "ERROR",
        MessageType.Ok => "OK",
        MessageType.Ping => "PING",
        MessageType.Pong => "PONG",
        MessageType.Add => "ADD",
        MessageType.Remove => "REMOVE",
        MessageType.Hashes => "HASHES",
        MessageType.HashList => "HASH_LIST",
        MessageType.Locate => "LOCATE",
        MessageType.Sources => "SOURCES",
        MessageType.Hold => "HOLD",
        MessageType.Chunks => "CHUNKS",
        MessageType.ChunkMap => "CHUNK_MAP",
        _ => $"type {type}",
    };

    private static Dictionary<MessageType, int> AllTypes() =>
        Enum.GetValues<MessageType>().ToDictionary(type => type, _ => Limits.MaxControlPayload);

    private static FrameLimits Create(string role, Channel channel, Dictionary<MessageType, int> accepted)
    {
        var table = Enumerable.Repeat(NotAccepted, Limits.MaxMessageType + 1).ToArray();
        foreach (var (type, max) in accepted)
        {
            table[(int)type] = max;
        }

        return new FrameLimits(role, channel, [.. table]);
    }
}
