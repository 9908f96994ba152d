using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>The directory server refused a request (it answered ERROR) or cannot be reached.</summary>
public sealed class DirectoryException : Exception
{
    public DirectoryException(string message, ErrorCode? code = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    public DirectoryException()
    {
    }

    public DirectoryException(string message)
        : base(message)
    {
    }

    public DirectoryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The ERROR code the server answered with; null when the server could not be reached.</summary>
    public ErrorCode? Code { get; }
}
