namespace P2PShare.Peer;

/// <summary>What a <see cref="ChunkPipeline"/> tells the download it works for.</summary>
internal interface IChunkPipelineObserver
{
    /// <summary>Chunks not verified yet, in the pipeline or still to come: a verifier in passes waits for more only while there are.</summary>
    int ChunksLeftToVerify { get; }

    /// <summary>A chunk matched its digest; true when it is the first copy, which the pipeline then writes.</summary>
    bool Verified(in ReceivedChunk chunk);

    /// <summary>A chunk did not match its digest: its source sent wrong bytes.</summary>
    void FailedVerification(in ReceivedChunk chunk);

    /// <summary>The writer has written (or skipped) what was waiting for it.</summary>
    void Written();
}
