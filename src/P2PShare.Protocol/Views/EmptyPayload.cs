namespace P2PShare.Protocol;

/// <summary>PING (type 7) and PONG (type 8) carry nothing; a payload is a malformed message.</summary>
public static class EmptyPayload
{
    /// <summary>Checks a PING or PONG payload like <see cref="MessageCodec.Decode"/> does.</summary>
    public static void Validate(MessageType type, ReadOnlySpan<byte> payload)
    {
        var name = type switch
        {
            MessageType.Ping => "PING",
            MessageType.Pong => "PONG",
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "only PING and PONG are empty"),
        };
        new WireReader(payload, name).EnsureEnd();
    }
}
