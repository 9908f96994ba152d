using P2PShare.Protocol;

namespace P2PShare.Directory;

/// <summary>
/// A well-formed request the registry will not carry out because it goes past a limit (a quota,
/// the memory budget, a query limit). The server answers ERROR with <see cref="Code"/> and the
/// message, which names the limit, and keeps the connection open: unlike a malformed frame,
/// nothing is wrong with the connection.
/// </summary>
public sealed class RequestRefusedException : Exception
{
    public RequestRefusedException(ErrorCode code, string limit, string message)
        : base(message)
    {
        Code = code;
        Limit = limit;
    }

    public RequestRefusedException()
    {
        Limit = "";
    }

    public RequestRefusedException(string message)
        : base(message)
    {
        Limit = "";
    }

    public RequestRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Limit = "";
    }

    /// <summary>The ERROR code to answer with: 4 (busy) for quotas and memory, 1 for query limits.</summary>
    public ErrorCode Code { get; } = ErrorCode.Busy;

    /// <summary>The option that refused it (<c>--max-files-per-peer</c>, ...), for logs and counts.</summary>
    public string Limit { get; }
}
