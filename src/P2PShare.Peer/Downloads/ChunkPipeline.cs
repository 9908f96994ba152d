using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Threading.Channels;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// What becomes of a download's received chunks: source workers only receive; each received
/// chunk is queued here with its buffer, and a few verifiers (one per core) hash it against the
/// hash list while the workers already receive the next ones; a verified first copy goes on to
/// the writer (the Write part), which writes it to the <c>.part</c>, records it in the resume
/// record and offers it to others. The number of buffers bounds how far receiving runs ahead.
/// What the download needs to know (a chunk verified, a chunk that failed, chunks written) it
/// learns through <see cref="IChunkPipelineObserver"/>.
/// </summary>
internal sealed partial class ChunkPipeline : IDisposable
{
    private readonly Channel<ReceivedChunk> _received = System.Threading.Channels.Channel.CreateUnbounded<ReceivedChunk>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    private readonly HashListMessage _hashList;
    private readonly ChunkBufferPool _buffers;
    private readonly IChunkPipelineObserver _observer;
    private ExceptionDispatchInfo? _storeFailure;
    private volatile bool _stopping;
    private Task[] _verifiersAndWriter = [];

    /// <summary>
    /// A pipeline for chunks checked against <paramref name="hashList"/> and written to
    /// <paramref name="file"/>, recorded in <paramref name="record"/> and, when the download is
    /// offered to others, in <paramref name="offered"/>; with buffers for
    /// <paramref name="sources"/> sources receiving <paramref name="chunksAheadPerSource"/> ahead
    /// (see <see cref="BufferCount"/>), each as long as the file's longest chunk,
    /// <paramref name="longestChunk"/> (a small file's buffers are its size, not 1 MiB: they are
    /// pinned, and only a full collection frees them).
    /// </summary>
    public ChunkPipeline(HashListMessage hashList, PartFile file, ResumeRecord record, ChunkSet? offered, Transfer transfer, IChunkPipelineObserver observer, int sources, int chunksAheadPerSource, int longestChunk)
    {
        _hashList = hashList;
        _file = file;
        _record = record;
        _offered = offered;
        _transfer = transfer;
        _observer = observer;
        _buffers = new ChunkBufferPool(BufferCount(sources, chunksAheadPerSource), Math.Clamp(longestChunk, 1, Limits.ChunkSize));
    }

    /// <summary>One per core, or one that hashes in passes (a pass uses one core fully, see the Batches part).</summary>
    private static int VerifierCount => VerifiesInBatches ? 1 : Math.Clamp(Environment.ProcessorCount, 1, 4);

    private const int MaxChunksAhead = 8;

    /// <summary>
    /// Chunk buffers (1 MiB each) for a download: one per source being received into, plus
    /// <see cref="DownloadOptions.ChunksAheadPerSource"/> per source waiting for or in verification,
    /// but no more than <see cref="MaxChunksAhead"/> of those in all (with many sources the
    /// verifiers, not the buffers, are the limit); never fewer than keep every verifier busy,
    /// or, verifying in passes, than two passes (one gathered while the last is hashed and
    /// written); and <see cref="ChunksAwaitingWrite"/> more for verified chunks waiting for the
    /// writer. Buffers are allocated only when the pipeline first needs them.
    /// </summary>
    private static int BufferCount(int sources, int chunksAheadPerSource)
    {
        var ahead = Math.Min(sources * chunksAheadPerSource, MaxChunksAhead);
        var verifying = VerifiesInBatches ? 2 * MultiBufferSha256.Lanes : VerifierCount + 1;
        return Math.Max(sources + ahead, verifying) + ChunksAwaitingWrite;
    }

    /// <summary>Starts the verifiers and the writer; <see cref="CompleteAsync"/> waits for all of them.</summary>
    public void Start() =>
        _verifiersAndWriter = [.. Enumerable.Range(0, VerifierCount).Select(_ => Task.Run(VerifiesInBatches ? VerifyInBatchesAsync : VerifyLoopAsync, CancellationToken.None)), StartWriter()];

    /// <summary>From now on the verifiers and the writer skip what is queued: the download is stopping.</summary>
    public void Stop() => _stopping = true;

    /// <summary>
    /// Lets the verifiers, then the writer, finish the chunks queued (skipping them when the
    /// download stopped) and waits for them: no write is under way afterwards.
    /// </summary>
    public async Task CompleteAsync()
    {
        _received.Writer.TryComplete();
        await Task.WhenAll(_verifiersAndWriter[..^1]).ConfigureAwait(false);
        StopWriter();
        await _verifiersAndWriter[^1].ConfigureAwait(false);
    }

    /// <summary>Waits for a free chunk buffer to receive into.</summary>
    public ValueTask<ChunkBuffer> RentAsync(CancellationToken cancellationToken) => _buffers.RentAsync(cancellationToken);

    /// <summary>Gives back a buffer rented with <see cref="RentAsync"/> that was not queued.</summary>
    public void Return(ChunkBuffer buffer) => _buffers.Return(buffer);

    /// <summary>Queues a received chunk; false when the download is stopping (the caller keeps the buffer).</summary>
    public bool QueueForVerification(in ReceivedChunk received) => _received.Writer.TryWrite(received);

    /// <summary>Ends the download with a local storage failure, if one happened.</summary>
    public void ThrowIfStoreFailed() => Volatile.Read(ref _storeFailure)?.Throw();

    public void Dispose() => _buffers.Dispose();

    /// <summary>Whether <paramref name="data"/> is chunk <paramref name="chunk"/> of <paramref name="hashList"/>.</summary>
    public static bool ChunkMatches(HashListMessage hashList, int chunk, ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[Limits.IdLength];
        SHA256.HashData(data, digest);
        return digest.SequenceEqual(hashList.Digest(chunk));
    }

    private async Task VerifyLoopAsync()
    {
        var reader = _received.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var received))
            {
                VerifyOne(received);
            }
        }
    }

    /// <summary>Verifies one chunk by itself; its buffer goes back to the pool unless the writer took it.</summary>
    private void VerifyOne(in ReceivedChunk received)
    {
        var queuedForWriting = false;
        try
        {
            queuedForWriting = IsWorthVerifying(received) && Conclude(received, ChunkMatches(_hashList, received.Chunk, received.Buffer.Span(received.Length)));
        }
        finally
        {
            if (!queuedForWriting)
            {
                _buffers.Return(received.Buffer);
            }
        }
    }

    /// <summary>False once the download stops, storing failed, or the chunk's source failed: the chunk is then dropped.</summary>
    private bool IsWorthVerifying(in ReceivedChunk received) =>
        !_stopping && Volatile.Read(ref _storeFailure) is null && !received.Source.HasFailed;

    /// <summary>
    /// Acts on a chunk's check against the hash list: a good first copy goes to the writer (true:
    /// the writer returns its buffer), a bad one is reported, so its source is dropped (the chunk
    /// is still in flight there, so dropping the source gives it back to the others).
    /// </summary>
    private bool Conclude(in ReceivedChunk received, bool matches)
    {
        if (!matches)
        {
            _observer.FailedVerification(received);
            return false;
        }

        return _observer.Verified(received) && QueueForWriting(received);
    }
}
