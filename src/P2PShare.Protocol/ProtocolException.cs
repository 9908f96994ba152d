namespace P2PShare.Protocol;

/// <summary>
/// A violation of the wire protocol, carrying the ERROR code to answer it with. The message is
/// written for the other side to read, so it says precisely what was wrong.
/// </summary>
public sealed class ProtocolException : Exception
{
    public ProtocolException(ErrorCode code, string message)
        : base(message)
    {
        Code = code;
    }

    public ProtocolException()
        : this(ErrorCode.BadRequest, "protocol error")
    {
    }

    public ProtocolException(string message)
        : this(ErrorCode.BadRequest, message)
    {
    }

    public ProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = ErrorCode.BadRequest;
    }

    public ErrorCode Code { get; }
}
