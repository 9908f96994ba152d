using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace P2PShare.Peer;

/// <summary>
/// The verifying side of a download: source workers only receive; each received chunk is queued
/// here with its buffer, and a few verifiers (one per core) hash it while the workers already
/// receive the next ones; a verified first copy goes on to the writer (the Write part). The
/// number of buffers bounds how far receiving runs ahead.
/// </summary>
internal sealed partial class SwarmDownload
{
    private readonly Channel<ReceivedChunk> _received = System.Threading.Channels.Channel.CreateUnbounded<ReceivedChunk>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    private ChunkBufferPool? _buffers;
    private ExceptionDispatchInfo? _storeFailure;
    private volatile bool _stopping;

    /// <summary>One per core, or one that hashes in passes (a pass uses one core fully, see the Batches part).</summary>
    private static int VerifierCount => VerifiesInBatches ? 1 : Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>Starts the verifiers and the writer; <see cref="StopVerifiersAsync"/> waits for all of them.</summary>
    private Task[] StartVerifiers() =>
        [.. Enumerable.Range(0, VerifierCount).Select(_ => Task.Run(VerifiesInBatches ? VerifyInBatchesAsync : VerifyLoopAsync, CancellationToken.None)), StartWriter()];

    /// <summary>
    /// Lets the verifiers, then the writer, finish the chunks queued (skipping them when the
    /// download stopped) and waits for them: no write is under way afterwards.
    /// </summary>
    private async Task StopVerifiersAsync(Task[] verifiersAndWriter)
    {
        _received.Writer.TryComplete();
        await Task.WhenAll(verifiersAndWriter[..^1]).ConfigureAwait(false);
        StopWriter();
        await verifiersAndWriter[^1].ConfigureAwait(false);
    }

    /// <summary>Queues a received chunk; false when the download is stopping (the caller keeps the buffer).</summary>
    private bool QueueForVerification(in ReceivedChunk received) => _received.Writer.TryWrite(received);

    /// <summary>Ends the download with a local storage failure, if one happened.</summary>
    private void ThrowIfStoreFailed() => Volatile.Read(ref _storeFailure)?.Throw();

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
            queuedForWriting = IsWorthVerifying(received) && Conclude(received, ChunkMatches(received.Chunk, received.Buffer.Span(received.Length)));
        }
        finally
        {
            if (!queuedForWriting)
            {
                _buffers!.Return(received.Buffer);
            }
        }
    }

    /// <summary>False once the download stops, storing failed, or the chunk's source failed: the chunk is then dropped.</summary>
    private bool IsWorthVerifying(in ReceivedChunk received) =>
        !_stopping && Volatile.Read(ref _storeFailure) is null && !received.Source.HasFailed;

    /// <summary>
    /// Acts on a chunk's check against the hash list: a good first copy goes to the writer (true:
    /// the writer returns its buffer), a bad one drops its source (the chunk is still in flight
    /// there, so dropping the source gives it back to the others).
    /// </summary>
    private bool Conclude(in ReceivedChunk received, bool matches)
    {
        if (!matches)
        {
            received.Source.Fail($"chunk {received.Chunk} failed verification: the source sent wrong bytes", lied: true);
            _changed.Pulse();
            return false;
        }

        _transfer.Source(received.Source.Name).AddChunk(received.Length);
        Logger.LogDebug("{File}: chunk {Chunk} verified from {Source}", _plan.Name, received.Chunk, received.Source.Name);
        return _scheduler.Complete(received.Chunk, received.Source.Name) && QueueForWriting(received);
    }

    /// <summary>A chunk received from a source, in a buffer of the download's pool, waiting to be verified.</summary>
    private readonly record struct ReceivedChunk(int Chunk, ChunkBuffer Buffer, int Length, SourceRun Source);

    /// <summary>
    /// One source's worker as the verifiers see it: a chunk that fails verification fails the
    /// source, which wakes the worker (its token is cancelled) so it drops the source.
    /// </summary>
    private sealed class SourceRun(string name, CancellationToken stop) : IDisposable
    {
        private readonly CancellationTokenSource _cancel = CancellationTokenSource.CreateLinkedTokenSource(stop);
        private string? _failure;

        public string Name { get; } = name;

        public CancellationToken Token => _cancel.Token;

        public bool HasFailed => Volatile.Read(ref _failure) is not null;

        public string? Failure => Volatile.Read(ref _failure);

        /// <summary>Whether the failure is a lie (a chunk that failed verification): the source is then never asked again.</summary>
        public bool Lied { get; private set; }

        public void Fail(string reason, bool lied = false)
        {
            if (Interlocked.CompareExchange(ref _failure, reason, null) is null)
            {
                Lied = lied;
                try
                {
                    _cancel.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The worker has ended already.
                }
            }
        }

        public void Dispose() => _cancel.Dispose();
    }
}
