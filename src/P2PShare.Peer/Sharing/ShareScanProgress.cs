namespace P2PShare.Peer;

/// <summary>How far a running scan of the shared folder is.</summary>
/// <param name="Walking">The scan is still walking the folder, so more files may be found.</param>
/// <param name="FilesToHash">Files found that are not hashed yet (including those being hashed).</param>
/// <param name="BytesToHash">Bytes of those files not read yet.</param>
/// <param name="BytesRead">Bytes read for hashing so far in this scan.</param>
/// <param name="Elapsed">Time since the scan started.</param>
public sealed record ShareScanProgress(bool Walking, int FilesToHash, long BytesToHash, long BytesRead, TimeSpan Elapsed)
{
    /// <summary>
    /// How long hashing what is left should take at the rate so far; null while that cannot be
    /// told (the walk goes on, or nothing has been read yet).
    /// </summary>
    public TimeSpan? EstimatedRemaining
    {
        get
        {
            if (Walking)
            {
                return null;
            }

            if (BytesToHash <= 0)
            {
                return TimeSpan.Zero;
            }

            if (BytesRead <= 0 || Elapsed <= TimeSpan.Zero)
            {
                return null;
            }

            var bytesPerSecond = BytesRead / Elapsed.TotalSeconds;
            return TimeSpan.FromSeconds(BytesToHash / bytesPerSecond);
        }
    }
}
