namespace P2PShare.Peer;

/// <summary>
/// How one scan of the shared folder went.
/// </summary>
/// <param name="Files">Files shared when the scan ended.</param>
/// <param name="Unchanged">Files the index already knew with the same size and modification time.</param>
/// <param name="FromCache">Files new to the index whose ids came from the hash cache.</param>
/// <param name="Hashed">Files that were read and hashed.</param>
/// <param name="BytesHashed">Bytes read to hash them.</param>
/// <param name="Elapsed">How long the scan took.</param>
public sealed record ShareScanStats(int Files, int Unchanged, int FromCache, int Hashed, long BytesHashed, TimeSpan Elapsed)
{
    public static ShareScanStats None { get; } = new(0, 0, 0, 0, 0, TimeSpan.Zero);
}
