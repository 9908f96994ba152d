namespace P2PShare.Peer;

/// <summary>
/// The chunks a download is fetching now (asked of a source, not yet verified): what this peer's
/// CHUNK_MAP lists beside the chunks it holds, so that other downloaders seldom ask the seeder
/// for a chunk this one is already being sent.
/// </summary>
public interface IChunksInFlight
{
    /// <summary>Sets the bit of each chunk being fetched in <paramref name="bitmap"/> (see <c>ChunkBitmap</c>).</summary>
    void WriteInFlight(Span<byte> bitmap);
}
