using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// Verifying in passes, where this machine hashes <see cref="MultiBufferSha256.Lanes"/> chunks
/// side by side (AVX-512): one verifier gathers the full-size chunks as they are queued and
/// hashes them together once it has a pass's worth, once no more can come (every chunk not yet
/// verified is in its hands), or <see cref="BatchWait"/> after the first one came. On a network
/// too slow to fill a pass in that time, hashing speed does not matter, and a chunk waits no
/// longer than that for the writer. A pass of 16 chunks costs what 9 cost one by one, and on
/// a fast network the CPU is what limits a download (see BENCHMARKS.md).
/// </summary>
internal sealed partial class ChunkPipeline
{
    private static readonly TimeSpan BatchWait = TimeSpan.FromMilliseconds(25);

    private static bool VerifiesInBatches => MultiBufferSha256.IsAccelerated;

    private async Task VerifyInBatchesAsync()
    {
        var reader = _received.Reader;
        var batch = new ReceivedChunk[MultiBufferSha256.Lanes];
        var messages = new ReadOnlyMemory<byte>[MultiBufferSha256.Lanes];
        var count = 0;
        var deadline = new CancellationTokenSource();
        try
        {
            while (true)
            {
                while (count < batch.Length && reader.TryRead(out var received))
                {
                    if (received.Length < Limits.ChunkSize)
                    {
                        // The file's last chunk is shorter than the others: a pass takes one length.
                        VerifyOne(received);
                        continue;
                    }

                    if (count == 0)
                    {
                        deadline.CancelAfter(BatchWait);
                    }

                    batch[count++] = received;
                }

                bool more;
                if (count == batch.Length || (count > 0 && !MoreChunksToCome(count)))
                {
                    more = true;
                }
                else
                {
                    try
                    {
                        more = await reader.WaitToReadAsync(count == 0 ? CancellationToken.None : deadline.Token).ConfigureAwait(false);
                        if (more)
                        {
                            continue;
                        }
                    }
                    catch (OperationCanceledException) when (deadline.IsCancellationRequested)
                    {
                        more = true;
                    }
                }

                // The batch is this call's now, whatever happens in it.
                var taken = count;
                count = 0;
                VerifyBatch(batch, taken, messages);
                if (!more)
                {
                    return;
                }

                if (!deadline.TryReset())
                {
                    deadline.Dispose();
                    deadline = new CancellationTokenSource();
                }
            }
        }
        finally
        {
            for (var i = 0; i < count; i++)
            {
                _buffers.Return(batch[i].Buffer);
            }

            deadline.Dispose();
        }
    }

    /// <summary>
    /// Whether chunks beyond the <paramref name="gathered"/> ones in hand are still to be
    /// verified (unless their sources fail: the deadline covers that).
    /// </summary>
    private bool MoreChunksToCome(int gathered) => _observer.ChunksLeftToVerify > gathered;

    /// <summary>
    /// Verifies the first <paramref name="count"/> chunks of <paramref name="batch"/> in one pass;
    /// every buffer goes back to the pool or on to the writer, also when something fails.
    /// </summary>
    private void VerifyBatch(ReceivedChunk[] batch, int count, ReadOnlyMemory<byte>[] messages)
    {
        var hashed = 0;
        for (var i = 0; i < count; i++)
        {
            if (IsWorthVerifying(batch[i]))
            {
                batch[hashed++] = batch[i];
            }
            else
            {
                _buffers.Return(batch[i].Buffer);
            }
        }

        Span<byte> digests = stackalloc byte[MultiBufferSha256.Lanes * Limits.IdLength];
        var next = 0;
        try
        {
            for (var i = 0; i < hashed; i++)
            {
                messages[i] = batch[i].Buffer.Memory(batch[i].Length);
            }

            MultiBufferSha256.HashData(messages.AsSpan(0, hashed), digests);
            while (next < hashed)
            {
                var received = batch[next];
                var digest = digests.Slice(next * Limits.IdLength, Limits.IdLength);
                next++;
                var queuedForWriting = false;
                try
                {
                    queuedForWriting = Conclude(received, digest.SequenceEqual(_hashList.Digest(received.Chunk)));
                }
                finally
                {
                    if (!queuedForWriting)
                    {
                        _buffers.Return(received.Buffer);
                    }
                }
            }
        }
        finally
        {
            while (next < hashed)
            {
                _buffers.Return(batch[next++].Buffer);
            }

            // Hold no chunk past its pass: the buffers are the pool's and the writer's now.
            messages.AsSpan(0, hashed).Clear();
            batch.AsSpan(0, count).Clear();
        }
    }
}
