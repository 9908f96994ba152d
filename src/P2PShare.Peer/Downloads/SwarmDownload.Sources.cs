using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>The source side of a download: the coordinator that keeps workers running, and the worker for one source.</summary>
internal sealed partial class SwarmDownload
{
    /// <summary>
    /// Keeps up to <see cref="Downloader.MaxSources"/> workers running until every chunk is
    /// verified, adding sources found by searching again; fails when every source is gone and
    /// no new one turns up.
    /// </summary>
    private async Task RunSourcesAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var workers = new Dictionary<string, Task>(StringComparer.Ordinal);
        var lastSearch = Stopwatch.StartNew();
        var searchedSinceLastLoss = false;
        AddWorkers(_plan.Sources);
        try
        {
            while (!AllStored)
            {
                if (workers.Count == 0)
                {
                    // Every source is gone: one more search before giving up.
                    if (searchedSinceLastLoss || _findSources is null)
                    {
                        throw new DownloadException(
                            $"could not download \"{_plan.Name}\": no source left after {StoredCount} of {_chunkCount} chunks ({DroppedSummary()}); run it again to resume");
                    }

                    searchedSinceLastLoss = true;
                    lastSearch.Restart();
                    AddWorkers(await FindMoreSourcesAsync(stop.Token).ConfigureAwait(false));
                    continue;
                }

                var untilSearch = _owner.ResearchInterval - lastSearch.Elapsed;
                if (untilSearch <= TimeSpan.Zero)
                {
                    lastSearch.Restart();
                    AddWorkers(await FindMoreSourcesAsync(stop.Token).ConfigureAwait(false));
                    continue;
                }

                await Task.WhenAny([.. workers.Values, _changed.WaitAsync(untilSearch, stop.Token)]).ConfigureAwait(false);
                foreach (var (source, task) in workers.Where(w => w.Value.IsCompleted).ToList())
                {
                    workers.Remove(source);
                    searchedSinceLastLoss = false;
                    await task.ConfigureAwait(false); // a storage failure surfaces here and ends the download
                }
            }
        }
        finally
        {
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
        }

        void AddWorkers(IEnumerable<DownloadSource> sources)
        {
            foreach (var source in sources)
            {
                var name = source.Name;
                if (workers.Count >= _owner.MaxSources || workers.ContainsKey(name) || IsDropped(name))
                {
                    continue;
                }

                _transfer.Source(name);
                workers[name] = Task.Run(() => RunSourceAsync(source, name, stop.Token), CancellationToken.None);
            }

            _transfer.Peer = workers.Count == 1 ? workers.Keys.First() : $"{workers.Count} sources";
        }
    }

    /// <summary>
    /// Fetches chunks from one source over one connection, keeping a few GETs in flight, and
    /// verifies each chunk before it is stored. A source that fails in any way is dropped and its
    /// chunks go back to the others. Only a local storage failure escapes (it ends the download).
    /// </summary>
    private async Task RunSourceAsync(DownloadSource source, string name, CancellationToken cancellationToken)
    {
        var pending = new Queue<int>();
        var buffer = ArrayPool<byte>.Shared.Rent(Limits.ChunkSize);
        try
        {
            using var connection = await ConnectAsync(source.EndPoint, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                while (pending.Count < _owner.RequestsPerSource && _scheduler.Next(name) is { } next)
                {
                    pending.Enqueue(next);
                    var request = new GetMessage(source.FileName, (ulong)next * Limits.ChunkSize, (ulong)ChunkLength(next), _plan.Id);
                    await connection.SendAsync(request, cancellationToken).ConfigureAwait(false);
                }

                if (pending.Count == 0)
                {
                    if (_scheduler.IsComplete)
                    {
                        return;
                    }

                    // Nothing to ask for now; a chunk may come free if another source fails.
                    await _changed.WaitAsync(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var chunk = pending.Peek();
                var length = (int)ChunkLength(chunk);
                await ReceiveChunkAsync(connection, chunk, buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                if (!ChunkMatches(chunk, buffer.AsSpan(0, length)))
                {
                    throw new SourceFailedException($"chunk {chunk} failed verification: the source sent wrong bytes");
                }

                pending.Dequeue();
                _transfer.Source(name).AddChunk(length);
                if (_scheduler.Complete(chunk, name))
                {
                    await StoreChunkAsync(chunk, buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                }

                _changed.Pulse();
            }
        }
        catch (SourceFailedException ex)
        {
            Drop(name, ex.Message);
        }
        catch (ProtocolException ex)
        {
            Drop(name, $"broke the protocol: {ex.Message}");
        }
        catch (TimeoutException)
        {
            Drop(name, $"sent nothing for {_owner.StallTimeout.TotalSeconds:0} s");
        }
        catch (Exception ex) when (ex is SocketException or EndOfStreamException || (ex is IOException && ex.InnerException is SocketException))
        {
            Drop(name, $"connection lost: {ex.Message}");
        }
        finally
        {
            _scheduler.DropSource(name);
            _transfer.Source(name).Stop();
            ArrayPool<byte>.Shared.Return(buffer);
            _changed.Pulse();
        }
    }

    private async Task ReceiveChunkAsync(FrameConnection connection, int chunk, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var reply = await connection.ReadMessageAsync(_owner.StallTimeout, cancellationToken).ConfigureAwait(false);
        var offset = (ulong)chunk * Limits.ChunkSize;
        switch (reply)
        {
            case DataMessage data when data.Offset == offset && data.Length == (ulong)destination.Length:
                break;
            case DataMessage data:
                throw new SourceFailedException($"answered chunk {chunk} with bytes {data.Offset}+{data.Length} instead of {offset}+{destination.Length}");
            case ErrorMessage error:
                throw new SourceFailedException($"refused chunk {chunk}: {error.Text}");
            case null:
                throw new SourceFailedException("closed the connection");
            default:
                throw new SourceFailedException($"answered GET with {reply.Name}");
        }

        var filled = 0;
        while (filled < destination.Length)
        {
            var read = await connection.ReadRawAsync(destination[filled..], _owner.StallTimeout, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new SourceFailedException($"closed the connection in the middle of chunk {chunk}");
            }

            filled += read;
        }
    }
}
