namespace P2PShare.Peer;

/// <summary>A download could not be completed; the message says why, source by source.</summary>
public sealed class DownloadException : Exception
{
    public DownloadException()
    {
    }

    public DownloadException(string message)
        : base(message)
    {
    }

    public DownloadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
