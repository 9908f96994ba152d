using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>The source side of a download: the coordinator that keeps workers running, and the worker for one source.</summary>
internal sealed partial class SwarmDownload
{
    /// <summary>
    /// Keeps up to <see cref="DownloadOptions.MaxSources"/> workers running until every chunk is
    /// verified, adding sources found by searching again; fails when every source is gone and
    /// no new one turns up.
    /// </summary>
    private async Task RunSourcesAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var workers = new Dictionary<string, Task>(StringComparer.Ordinal);
        var lastSearch = Stopwatch.StartNew();
        var searchedSinceLastLoss = false;
        var sourceCount = Math.Min(_options.MaxSources, _chunkCount);
        using var pipeline = new ChunkPipeline(_hashList!, _file!, _record!, _held?.Stored, _transfer, this, sourceCount, _options.ChunksAheadPerSource, (int)ChunkLength(0));
        pipeline.Start();
        try
        {
            AddWorkers(_plan.Sources);
            while (true)
            {
                // Taken before the state is looked at, so that the pulse of a chunk written
                // meanwhile (the last one, say) still ends the wait below.
                var changed = _changed.Next;
                if (AllStored)
                {
                    break;
                }

                // A cancelled wait completes at once: without this the loop would spin on it
                // (possibly on the very thread that is running the cancellation callbacks, so
                // the workers would never learn of it).
                cancellationToken.ThrowIfCancellationRequested();
                pipeline.ThrowIfStoreFailed();
                if (workers.Count == 0 && !_scheduler.IsComplete)
                {
                    // Every source is gone: one more search before giving up.
                    if (searchedSinceLastLoss || _findSources is null)
                    {
                        // With nothing of it stored, this content may be a false one: the next
                        // content found under the name is worth a try. Otherwise it is the
                        // right one, and what is stored waits for its sources to return (the
                        // downloader says what is kept).
                        throw StoredCount == 0
                            ? new ContentFailedException($"no source left after 0 of {_chunkCount} chunks", DroppedSummary())
                            : new DownloadException($"could not download \"{_plan.Name}\": no source left after {StoredCount} of {_chunkCount} chunks ({DroppedSummary()})");
                    }

                    searchedSinceLastLoss = true;
                    lastSearch.Restart();
                    AddWorkers(await FindMoreSourcesAsync(stop.Token).ConfigureAwait(false));
                    continue;
                }

                // With every source slot taken, a new source could only wait for one to free up.
                var interval = workers.Count < _options.MaxSources ? _options.ResearchInterval : _options.ResearchInterval * DownloadOptions.FullResearchSlowdown;
                var untilSearch = interval - lastSearch.Elapsed;
                if (untilSearch <= TimeSpan.Zero)
                {
                    lastSearch.Restart();
                    AddWorkers(await FindMoreSourcesAsync(stop.Token).ConfigureAwait(false));
                    continue;
                }

                // Every chunk may be verified while the last ones are still being written: then
                // only the verifiers' pulses are waited for.
                await Task.WhenAny([.. workers.Values, ChangeSignal.WaitAsync(changed, untilSearch, stop.Token)]).ConfigureAwait(false);
                foreach (var (source, task) in workers.Where(w => w.Value.IsCompleted).ToList())
                {
                    workers.Remove(source);
                    Volatile.Write(ref _runningSources, workers.Count);
                    searchedSinceLastLoss = false;
                    await task.ConfigureAwait(false);
                }
            }
        }
        finally
        {
            pipeline.Stop();
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var task in workers.Values)
            {
                try
                {
                    await task.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException)
                {
                    // Stopping: what the workers were doing no longer matters.
                }
            }

            // No write may be under way when the .part is closed.
            await pipeline.CompleteAsync().ConfigureAwait(false);
        }

        pipeline.ThrowIfStoreFailed();

        void AddWorkers(IEnumerable<DownloadSource> sources)
        {
            foreach (var source in sources)
            {
                var name = source.Name;
                if (workers.Count >= _options.MaxSources || workers.ContainsKey(name) || IsDropped(name) || !Admit(source))
                {
                    continue;
                }

                _transfer.Source(name).Start(source.Partial);
                workers[name] = Task.Run(() => RunSourceAsync(source, name, pipeline, stop.Token), CancellationToken.None);
            }

            Volatile.Write(ref _runningSources, workers.Count);
            _transfer.Peer = workers.Count == 1 ? workers.Keys.First() : $"{workers.Count} sources";
        }
    }

    int IChunkPipelineObserver.ChunksLeftToVerify => _chunkCount - _scheduler.DoneCount;

    /// <summary>Counts a verified chunk to its source; the scheduler says whether it is the first copy, to be written.</summary>
    bool IChunkPipelineObserver.Verified(in ReceivedChunk chunk)
    {
        _transfer.Source(chunk.Source.Name).AddChunk(chunk.Length);
        Logger.LogDebug("{File}: chunk {Chunk} verified from {Source}", _plan.Name, chunk.Chunk, chunk.Source.Name);
        return _scheduler.Complete(chunk.Chunk, chunk.Source.Name);
    }

    /// <summary>Fails the chunk's source: its worker drops it, and its chunks go to the others.</summary>
    void IChunkPipelineObserver.FailedVerification(in ReceivedChunk chunk)
    {
        chunk.Source.Fail($"chunk {chunk.Chunk} failed verification: the source sent wrong bytes", lied: true);
        _changed.Pulse();
    }

    void IChunkPipelineObserver.Written() => _changed.Pulse();

    /// <summary>Source workers running now (the coordinator's count).</summary>
    private int _runningSources = 1;

    /// <summary>This source's share of <see cref="DownloadOptions.RequestsInFlight"/>: at least one.</summary>
    private int RequestsPerSource => RequestsPerSourceOf(_options.RequestsInFlight, Volatile.Read(ref _runningSources));

    internal static int RequestsPerSourceOf(int requestsInFlight, int sources) =>
        Math.Max(1, requestsInFlight / Math.Max(1, sources));

    /// <summary>
    /// Fetches chunks from one source, keeping a few GETs in flight, and queues each chunk
    /// received for verification (see <see cref="ChunkPipeline"/>) while it receives the next. A source that
    /// fails in any way, or sends a chunk that fails verification, is dropped and its chunks go
    /// back to the others. A lone source that delivers faster than
    /// <see cref="DownloadOptions.SecondConnectionRate"/> gets a second connection (see
    /// <see cref="RunSecondConnectionAsync"/>).
    /// </summary>
    private async Task RunSourceAsync(DownloadSource source, string name, ChunkPipeline pipeline, CancellationToken cancellationToken)
    {
        using var run = new SourceRun(name, cancellationToken);
        using var stopSecond = CancellationTokenSource.CreateLinkedTokenSource(run.Token);
        Task? second = null;
        var window = new RateWindow();
        try
        {
            using var connection = TakeHashListConnection(name) ?? await ConnectAsync(source.EndPoint, 0, _options.StallTimeout, run.Token).ConfigureAwait(false);
            SourceMap? map = null;
            if (source.Partial)
            {
                // Nothing is asked of it before its map says what it has.
                map = new SourceMap(_chunkCount);
                _scheduler.SetAvailability(name, new ChunkSet(_chunkCount));
            }

            await FetchAsync(connection, source, run, pipeline, new Queue<int>(), map, ChunkReceived, run.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (run.Failure is { } failure)
        {
            Drop(name, failure, run.Lied);
        }
        catch (Exception ex) when (FailureReason(ex) is { } reason)
        {
            Drop(name, reason, ex is ProtocolException);
        }
        finally
        {
            try
            {
                // The second connection must stop asking the scheduler for chunks in this
                // source's name before the source's chunks are given back.
                if (second is not null)
                {
                    await stopSecond.CancelAsync().ConfigureAwait(false);
                    await second.ConfigureAwait(false);
                }
            }
            finally
            {
                _scheduler.DropSource(name);
                _transfer.Source(name).Stop();
                _changed.Pulse();
            }
        }

        void ChunkReceived()
        {
            if (second is null && window.Add() is { } rate && WantsSecondConnection(rate))
            {
                second = Task.Run(() => RunSecondConnectionAsync(source, run, pipeline, stopSecond.Token), CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// Whether a source delivering <paramref name="bytesPerSecond"/> should get a second
    /// connection: only a lone source (a swarm spreads the work over connections already), only
    /// one faster than <see cref="DownloadOptions.SecondConnectionRate"/>, and only with enough of the
    /// file left to be worth a connection.
    /// </summary>
    private bool WantsSecondConnection(double bytesPerSecond) =>
        _options.SecondConnectionRate is { } threshold
        && bytesPerSecond >= threshold
        && Volatile.Read(ref _runningSources) == 1
        && _scheduler.ChunkCount - _scheduler.DoneCount >= _options.SecondConnectionMinChunks;

    /// <summary>
    /// A second connection to a lone fast source. On one connection the source answers GETs one
    /// after another, and this side receives one chunk after another, each on one core at a time;
    /// over loopback or a fast LAN that, not the network, is the limit, and a second connection
    /// puts the other core to work (BENCHMARKS.md, row 1). It fetches in the source's name, so the
    /// scheduler never gives it a chunk the first connection has in flight, and a chunk it
    /// received that fails verification drops the source as usual. Any other failure (the source
    /// refusing a second connection with ERROR 4, say) only ends this connection: the chunks it
    /// had asked for go back, and the first connection carries on.
    /// </summary>
    private async Task RunSecondConnectionAsync(DownloadSource source, SourceRun run, ChunkPipeline pipeline, CancellationToken cancellationToken)
    {
        var pending = new Queue<int>();
        try
        {
            using var connection = await ConnectAsync(source.EndPoint, 0, _options.StallTimeout, cancellationToken).ConfigureAwait(false);
            Logger.LogDebug("download of {File}: second connection to {Source}", _plan.Name, run.Name);
            // The first connection keeps the source's map; this one asks within it.
            await FetchAsync(connection, source, run, pipeline, pending, null, null, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped by the first connection ending, or by the source failing.
        }
        catch (Exception ex) when (FailureReason(ex) is { } reason)
        {
            Logger.LogDebug("download of {File}: second connection to {Source} ended: {Reason}", _plan.Name, run.Name, reason);
        }
        finally
        {
            foreach (var chunk in pending)
            {
                _scheduler.Release(chunk, run.Name);
            }

            _changed.Pulse();
        }
    }

    /// <summary>
    /// Fetches chunks over <paramref name="connection"/> until none is left to fetch: keeps up to
    /// <see cref="RequestsPerSource"/> GETs in flight (<paramref name="pending"/>, in the order
    /// sent), receives each answer into a buffer of <paramref name="pipeline"/>, and queues it there for verification. From a
    /// partial source (<paramref name="map"/>) it first learns which chunks the source holds
    /// (CHUNKS), asks only for those, and asks again as the source verifies more.
    /// </summary>
    private async Task FetchAsync(FrameConnection connection, DownloadSource source, SourceRun run, ChunkPipeline pipeline, Queue<int> pending, SourceMap? map, Action? chunkReceived, CancellationToken cancellationToken)
    {
        // Every GET to this source differs only in its range: one buffer, encoded in place.
        var request = new byte[FrameWriter.MeasureGet(source.FileName, 0, 1, _plan.Id)];
        var pace = new ChunkPace();
        while (true)
        {
            if (map?.WantsRefresh() == true)
            {
                await SendMapRequestAsync(connection, map, pending, cancellationToken).ConfigureAwait(false);
            }

            while (pending.Count - (map?.InFlight == true ? 1 : 0) < Math.Min(RequestsPerSource, pace.ChunksAhead) && _scheduler.Next(run.Name) is { } next)
            {
                pace.Requested();
                pending.Enqueue(next);
                var requestLength = FrameWriter.WriteGet(request, source.FileName, (ulong)next * Limits.ChunkSize, (ulong)ChunkLength(next), _plan.Id);
                await connection.SendRawAsync(request.AsMemory(0, requestLength), cancellationToken).ConfigureAwait(false);
            }

            if (pending.Count == 0)
            {
                if (_scheduler.IsComplete)
                {
                    return;
                }

                // Nothing to ask for now: a chunk may come free if another source fails, or a
                // partial source may verify one we need (its map is asked for again then).
                await _changed.WaitAsync(map is null ? TimeSpan.FromMilliseconds(250) : SourceMap.IdleRefresh, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var chunk = pending.Peek();
            if (chunk == SourceMap.Request)
            {
                await ReceiveMapAsync(connection, map!, run.Name, cancellationToken).ConfigureAwait(false);
                pending.Dequeue();
                continue;
            }

            var length = (int)ChunkLength(chunk);
            var buffer = await pipeline.RentAsync(cancellationToken).ConfigureAwait(false);
            var queued = false;
            try
            {
                await ReceiveChunkAsync(connection, chunk, buffer.Memory(length), cancellationToken).ConfigureAwait(false);
                pace.Received(nextOnItsWay: pending.Count > 1);
                pending.Dequeue();
                _scheduler.Received(chunk, run.Name);
                queued = pipeline.QueueForVerification(new ReceivedChunk(chunk, buffer, length, run));
            }
            finally
            {
                if (!queued)
                {
                    pipeline.Return(buffer);
                }
            }

            chunkReceived?.Invoke();
        }
    }

    /// <summary>Sends CHUNKS for this content; its answer comes in turn with the GETs' (<see cref="SourceMap.Request"/> in <paramref name="pending"/>).</summary>
    private async Task SendMapRequestAsync(FrameConnection connection, SourceMap map, Queue<int> pending, CancellationToken cancellationToken)
    {
        var frame = new byte[Limits.FrameHeaderLength + Limits.IdLength];
        var length = FrameWriter.WriteChunks(frame, _plan.Id);
        map.Asked();
        pending.Enqueue(SourceMap.Request);
        await connection.SendRawAsync(frame.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the answer to CHUNKS: a CHUNK_MAP of this content's chunk count sets what the source
    /// is asked for; ERROR 5 is a peer that does not know CHUNKS (it shares whole files only);
    /// any other ERROR, a source that holds nothing of the content any more.
    /// </summary>
    private async Task ReceiveMapAsync(FrameConnection connection, SourceMap map, string name, CancellationToken cancellationToken)
    {
        var reply = await connection.ReadFrameAsync(_options.StallTimeout, cancellationToken).ConfigureAwait(false);
        if (reply.IsEndOfStream)
        {
            throw new SourceFailedException("closed the connection");
        }

        switch (reply.Type)
        {
            case MessageType.ChunkMap:
                var view = ChunkMapView.Parse(reply.Payload.Span);
                if (view.ChunkCount != _chunkCount)
                {
                    throw new ProtocolException(ErrorCode.BadRequest, $"sent a map of {view.ChunkCount} chunks for a file of {_chunkCount}");
                }

                var chunks = ChunkSet.FromBitmap(view.ChunkCount, view.Bitmap);
                map.Received(chunks);
                _scheduler.SetAvailability(name, chunks, ChunkSet.FromBitmap(view.ChunkCount, view.Fetching));
                _transfer.Source(name).SetHeld(chunks.Count, _chunkCount);
                return;
            case MessageType.Error:
                var error = ErrorView.Parse(reply.Payload.Span);
                if (error.Code == ErrorCode.Unsupported)
                {
                    map.Received(null);
                    _scheduler.SetAvailability(name, null);
                    return;
                }

                throw new SourceFailedException($"holds none of the file any more: {error.GetText()}");
            default:
                throw new SourceFailedException($"answered CHUNKS with {MessageCodec.Decode((byte)reply.Type, reply.Payload.Span, Channel.Peer).Name}");
        }
    }

    /// <summary>
    /// What <paramref name="ex"/> says about the source a connection fetches from, as a reason to
    /// give; null for anything else (a local failure, which is not the source's doing).
    /// </summary>
    private string? FailureReason(Exception ex) => ex switch
    {
        SourceFailedException => ex.Message,
        ProtocolException => $"broke the protocol: {ex.Message}",
        TimeoutException => $"sent nothing for {_options.StallTimeout.TotalSeconds:0} s",
        SocketException or EndOfStreamException or IOException { InnerException: SocketException } => $"connection lost: {ex.Message}",
        _ => null,
    };

    /// <summary>
    /// How many GETs a connection keeps in flight, from the time its chunks take: enough to cover
    /// <see cref="AheadTime"/>, so a fast source never waits for a request, but from a slow one
    /// (an uploader whose limit is shared by a crowd) only the next chunk. The choice of a chunk
    /// is made when its GET is sent, and in a crowd it goes stale while the chunks before it
    /// arrive: a chunk asked of the seeder four seconds ahead is often held by another downloader
    /// by the time it comes, sent by the seeder twice. Until a chunk has been timed, one.
    /// </summary>
    private struct ChunkPace
    {
        private static readonly TimeSpan AheadTime = TimeSpan.FromMilliseconds(500);

        private long _since;
        private double _chunkSeconds;

        public readonly int ChunksAhead =>
            _chunkSeconds <= 0 ? 1 : (int)Math.Clamp(Math.Ceiling(AheadTime.TotalSeconds / _chunkSeconds), 1, int.MaxValue);

        /// <summary>A GET was sent: with none before it on its way, the clock starts now.</summary>
        public void Requested()
        {
            if (_since == 0)
            {
                _since = Stopwatch.GetTimestamp();
            }
        }

        /// <summary>
        /// A chunk arrived: the time since the one before it (or since its GET) is this
        /// connection's pace. With no other GET on its way, the clock waits for the next GET:
        /// time with nothing asked is not the source's.
        /// </summary>
        public void Received(bool nextOnItsWay)
        {
            var now = Stopwatch.GetTimestamp();
            var seconds = Stopwatch.GetElapsedTime(_since, now).TotalSeconds;
            _chunkSeconds = _chunkSeconds <= 0 ? seconds : (0.5 * _chunkSeconds) + (0.5 * seconds);
            _since = nextOnItsWay ? now : 0;
        }
    }

    /// <summary>
    /// The rate of a connection, measured over windows of <see cref="Chunks"/> chunks (8 MiB):
    /// short enough to decide early in a download, long enough not to be one burst.
    /// </summary>
    private struct RateWindow
    {
        private const int Chunks = 8;
        private long _start;
        private int _count;

        /// <summary>Counts a chunk received; at the end of each window, the window's rate in bytes per second.</summary>
        public double? Add()
        {
            if (_count == 0)
            {
                // The first chunk starts the clock: connecting and the first answer's round trip are not the rate.
                _start = Stopwatch.GetTimestamp();
            }

            if (++_count <= Chunks)
            {
                return null;
            }

            var elapsed = Stopwatch.GetElapsedTime(_start);
            _start = Stopwatch.GetTimestamp();
            _count = 1;
            return (double)Chunks * Limits.ChunkSize / Math.Max(elapsed.TotalSeconds, 1e-6);
        }
    }

    /// <summary>
    /// Receives the answer to the GET for <paramref name="chunk"/> into <paramref name="destination"/>.
    /// Besides the stall timeout for each read, the whole chunk must arrive within its deadline
    /// (<see cref="SourceLimits.Deadline"/>: the stall timeout plus the chunk's bytes at the
    /// minimum rate), counted from now, when this connection's earlier chunks are in and this
    /// one's GET has been sent: a source that drips bytes just often enough never stalls, but it
    /// misses this.
    /// </summary>
    private async Task ReceiveChunkAsync(FrameConnection connection, int chunk, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var allowed = _options.SourceLimits.Deadline(destination.Length, _options.StallTimeout);
        var filled = 0;
        var deadlineBound = false;
        try
        {
            var reply = await connection.ReadFrameAsync(NextWait(started, allowed, out deadlineBound), cancellationToken).ConfigureAwait(false);
            CheckDataHeader(reply, chunk, destination.Length);
            while (filled < destination.Length)
            {
                var read = await connection.ReadRawAsync(destination[filled..], NextWait(started, allowed, out deadlineBound), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new SourceFailedException($"closed the connection in the middle of chunk {chunk}");
                }

                filled += read;
            }
        }
        catch (TimeoutException) when (deadlineBound)
        {
            throw new SourceFailedException(
                $"too slow: {filled} of the {destination.Length} bytes of chunk {chunk} in {allowed.TotalSeconds:0} s, at {_options.SourceLimits.MinRate} bytes/s at least (--min-source-rate)");
        }
    }

    /// <summary>
    /// The longest the next read of a chunk may wait: the stall timeout, or what is left of the
    /// chunk's deadline when that is less (<paramref name="deadlineBound"/> then says so).
    /// </summary>
    private TimeSpan NextWait(long started, TimeSpan allowed, out bool deadlineBound)
    {
        var left = allowed - Stopwatch.GetElapsedTime(started);
        deadlineBound = left <= _options.StallTimeout;
        return !deadlineBound ? _options.StallTimeout : left > TimeSpan.Zero ? left : TimeSpan.FromTicks(1);
    }

    /// <summary>
    /// Checks that the answer to the GET for <paramref name="chunk"/> is a DATA header for exactly
    /// that range (a view of the frame: nothing is allocated for the usual answer).
    /// </summary>
    private static void CheckDataHeader(in ReceivedFrame reply, int chunk, int length)
    {
        if (reply.IsEndOfStream)
        {
            throw new SourceFailedException("closed the connection");
        }

        var offset = (ulong)chunk * Limits.ChunkSize;
        switch (reply.Type)
        {
            case MessageType.Data:
                var data = DataHeader.Parse(reply.Payload.Span);
                if (data.Offset != offset || data.Length != (ulong)length)
                {
                    throw new SourceFailedException($"answered chunk {chunk} with bytes {data.Offset}+{data.Length} instead of {offset}+{length}");
                }

                return;
            case MessageType.Error:
                throw new SourceFailedException($"refused chunk {chunk}: {ErrorView.Parse(reply.Payload.Span).GetText()}");
            default:
                throw new SourceFailedException($"answered GET with {MessageCodec.Decode((byte)reply.Type, reply.Payload.Span, Channel.Peer).Name}");
        }
    }
}
