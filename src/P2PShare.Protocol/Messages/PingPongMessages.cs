namespace P2PShare.Protocol;

/// <summary>Type 7, either direction, empty payload.</summary>
public sealed record PingMessage : Message
{
    public static readonly PingMessage Instance = new();

    public override MessageType Type => MessageType.Ping;

    public override string Name => "PING";
}

/// <summary>Type 8, either direction, empty payload: the answer to PING.</summary>
public sealed record PongMessage : Message
{
    public static readonly PongMessage Instance = new();

    public override MessageType Type => MessageType.Pong;

    public override string Name => "PONG";
}
