namespace P2PShare.Peer;

/// <summary>A chunk received from a source, in a buffer of the download's pool, waiting to be verified.</summary>
internal readonly record struct ReceivedChunk(int Chunk, ChunkBuffer Buffer, int Length, SourceRun Source);
