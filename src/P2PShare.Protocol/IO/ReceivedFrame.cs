namespace P2PShare.Protocol;

/// <summary>
/// One frame as <see cref="FrameConnection.ReadFrameAsync"/> returns it: its type (checked to be
/// 1–17) and its payload, not yet decoded, or the end of the stream. The payload points into the
/// connection's buffers: it stays valid until the next read on that connection
/// (<see cref="FrameConnection.ReadFrameAsync"/>, <see cref="FrameConnection.ReadMessageAsync"/>
/// or <see cref="FrameConnection.ReadRawAsync"/>) and must not be kept past it.
/// </summary>
public readonly struct ReceivedFrame
{
    internal ReceivedFrame(MessageType type, ReadOnlyMemory<byte> payload)
    {
        Type = type;
        Payload = payload;
    }

    /// <summary>The other side closed the connection cleanly between frames.</summary>
    public static ReceivedFrame EndOfStream => default;

    public bool IsEndOfStream => Type == 0;

    public MessageType Type { get; }

    public ReadOnlyMemory<byte> Payload { get; }
}
