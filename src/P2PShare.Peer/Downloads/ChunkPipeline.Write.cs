using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// The writing side of a download: verified chunks are written to the <c>.part</c> at their
/// offsets and recorded by one writer, while the verifiers hash the next ones. A direct write
/// waits for the device (about 0.7 ms per chunk on the reference machine); done by the verifiers
/// themselves, those waits stalled hashing, and through the buffers receiving: a 2 GiB get took
/// 2.9 s that way against 2.4 s with the writer apart. The writer takes every chunk waiting for
/// it and writes those that follow each other in the file with one system call, up to
/// <see cref="MaxChunksPerWrite"/>: verified in passes, chunks come 16 at a time, and each write
/// costs a wake-up of the writer on a busy machine besides the device's time.
/// </summary>
internal sealed partial class ChunkPipeline
{
    private readonly Channel<ReceivedChunk> _verified = System.Threading.Channels.Channel.CreateUnbounded<ReceivedChunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private readonly PartFile _file;
    private readonly ResumeRecord _record;
    private readonly Transfer _transfer;

    /// <summary>The chunks this download offers others (null when it offers none).</summary>
    private readonly ChunkSet? _offered;

    /// <summary>Chunks that may wait for the writer at once, on top of those being received and verified.</summary>
    private const int ChunksAwaitingWrite = 2;

    /// <summary>The most chunks one write covers (4 MiB: the device takes no more per second for larger ones).</summary>
    private const int MaxChunksPerWrite = 4;

    private Task StartWriter() => Task.Run(WriteLoopAsync, CancellationToken.None);

    private void StopWriter() => _verified.Writer.TryComplete();

    /// <summary>Hands a verified first copy to the writer; false when the writer has stopped (the caller keeps the buffer).</summary>
    private bool QueueForWriting(in ReceivedChunk verified) => _verified.Writer.TryWrite(verified);

    private async Task WriteLoopAsync()
    {
        var reader = _verified.Reader;
        var waiting = new List<ReceivedChunk>();
        var run = new List<ReadOnlyMemory<byte>>(MaxChunksPerWrite);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var verified))
            {
                waiting.Add(verified);
            }

            waiting.Sort(static (x, y) => x.Chunk.CompareTo(y.Chunk));
            var first = 0;
            try
            {
                while (first < waiting.Count)
                {
                    var count = RunLength(waiting, first);
                    Write(waiting, first, count, run);
                    for (var i = first; i < first + count; i++)
                    {
                        _buffers.Return(waiting[i].Buffer);
                    }

                    first += count;
                }
            }
            finally
            {
                for (var i = first; i < waiting.Count; i++)
                {
                    _buffers.Return(waiting[i].Buffer);
                }

                waiting.Clear();
                _observer.Written();
            }
        }
    }

    /// <summary>
    /// How many of the sorted <paramref name="waiting"/> chunks from <paramref name="first"/> on
    /// follow each other in the file as whole chunks (one write covers them), at least one.
    /// </summary>
    private static int RunLength(List<ReceivedChunk> waiting, int first)
    {
        var count = 1;
        while (count < MaxChunksPerWrite
            && first + count < waiting.Count
            && waiting[first + count].Chunk == waiting[first].Chunk + count
            && waiting[first + count - 1].Length == Limits.ChunkSize)
        {
            count++;
        }

        return count;
    }

    /// <summary>
    /// Writes <paramref name="count"/> chunks that follow each other in the file, from
    /// <paramref name="first"/> in <paramref name="waiting"/>, synchronously (this task does
    /// nothing else), then records them; skipped once the download stops or storing has failed
    /// (an unrecorded chunk is fetched again on resume).
    /// </summary>
    private void Write(List<ReceivedChunk> waiting, int first, int count, List<ReadOnlyMemory<byte>> run)
    {
        if (_stopping || Volatile.Read(ref _storeFailure) is not null)
        {
            return;
        }

        try
        {
            // Empty: every call clears it when it ends.
            for (var i = first; i < first + count; i++)
            {
                run.Add(waiting[i].Buffer.Memory(waiting[i].Length));
            }

            _file.Write(run, (long)waiting[first].Chunk * Limits.ChunkSize);
            for (var i = first; i < first + count; i++)
            {
                _transfer.AddBytes(waiting[i].Length);
                _record.MarkWritten(waiting[i].Chunk);
                _offered?.Add(waiting[i].Chunk);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Interlocked.CompareExchange(ref _storeFailure, ExceptionDispatchInfo.Capture(ex), null);
        }
        finally
        {
            run.Clear();
        }
    }
}
