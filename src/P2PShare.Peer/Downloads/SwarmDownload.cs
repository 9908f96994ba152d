using System.Buffers;
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// One download from many sources: gets a hash list it can trust (SHA-256 of the digests must be
/// the id), claims <c>NAME.part</c> (an earlier run's to resume, or a new one: see
/// <see cref="DownloadFiles"/>) and makes room for it, runs one worker per source (see the Sources part
/// of this class) that only receives, hands the received chunks to a <see cref="ChunkPipeline"/>
/// that verifies, writes and records them in parallel, searches
/// again for new sources from time to time, and finishes when every chunk is written by giving
/// the file its name.
/// </summary>
internal sealed partial class SwarmDownload : IChunkPipelineObserver
{
    private readonly Downloader _owner;
    private readonly DownloadOptions _options;
    private readonly DownloadPlan _plan;
    private readonly Transfer _transfer;
    private readonly DownloadFolder _folder;
    private readonly string _fileName;
    private readonly Func<CancellationToken, Task<IReadOnlyList<DownloadSource>>>? _findSources;
    private readonly SourceAdmission _admission;
    private readonly Dictionary<string, DroppedSource> _dropped = new(StringComparer.Ordinal);
    private readonly HashSet<string> _notAdmitted = new(StringComparer.Ordinal);
    private readonly ChangeSignal _changed = new();
    private readonly int _chunkCount;
    private HashListMessage? _hashList;

    // The connection the hash list came over, kept for its source's chunks when the file is
    // small (see FetchHashListAsync); guarded by _dropped.
    private FrameConnection? _hashListConnection;
    private string? _hashListSource;
    private ChunkScheduler _scheduler = new(0);
    private DownloadFiles? _files;
    private PartFile? _file;
    private ResumeRecord? _record;

    /// <summary>What this download offers other downloaders while it runs (null when the downloader serves nobody).</summary>
    private HeldDownload? _held;

    /// <summary>
    /// A download of <paramref name="plan"/> into <paramref name="folder"/> (the downloads folder,
    /// or the folder of a name with '/') as <paramref name="fileName"/> (the last component of
    /// the plan's name), taking its sources through <paramref name="admission"/>.
    /// </summary>
    /// <exception cref="ContentFailedException">The plan's entry cannot be fetched (<see cref="DownloadPlan.Refusal"/>).</exception>
    private SwarmDownload(Downloader owner, DownloadPlan plan, Transfer transfer, DownloadFolder folder, string fileName, Func<CancellationToken, Task<IReadOnlyList<DownloadSource>>>? findSources, SourceAdmission admission)
    {
        if (plan.Refusal is { } refusal)
        {
            // Before any arithmetic on the size: past the limit it need not even fit in a long.
            throw new ContentFailedException(refusal, null);
        }

        _owner = owner;
        _options = owner.Options;
        _plan = plan;
        _transfer = transfer;
        _folder = folder;
        _fileName = fileName;
        _findSources = findSources;
        _admission = admission;
        _chunkCount = (int)HashListMessage.ChunkCount(plan.Size);
    }

    /// <summary>The content this download fetched.</summary>
    public DownloadPlan Plan => _plan;

    /// <summary>Chunks found verified in an earlier attempt's <c>.part</c>.</summary>
    public int ResumedChunks { get; private set; }

    /// <summary>The <c>.part</c> the file is assembled in, once claimed.</summary>
    public string? PartPath => _files?.PartPath;

    /// <summary>
    /// Once the download has failed or been cancelled: the <c>.part</c> of this content left for
    /// a resume, or null when none is (what this run made held nothing verified and was removed,
    /// or there was none). Before the <c>.part</c> is claimed, that is an earlier run's, untouched.
    /// </summary>
    public string? KeptPartPath { get; private set; }

    /// <summary>With <see cref="KeptPartPath"/>: the verified chunks its resume record lists.</summary>
    public int KeptChunks { get; private set; }

    public int ChunkCount => _chunkCount;

    private ILogger Logger => _owner.Logger;

    /// <summary>
    /// Downloads the first of <paramref name="plan"/> and its <see cref="DownloadPlan.Fallbacks"/>
    /// that has a working source into <paramref name="folder"/> as <paramref name="fileName"/>.
    /// A content that fails for want of one (refused on sight, no source gives a hash list that
    /// matches its id, every source fails before a chunk of it is stored) gives way to the next,
    /// and the transfer records why. The sources one address may supply are counted over all of
    /// them together. A content with chunks stored, in this run or an earlier one, is never given
    /// up for another: its <c>.part</c> stays for a resume. Each content claims a <c>.part</c> of
    /// its own (<see cref="DownloadFiles"/>: one that is not its own is left alone), so the next
    /// one never touches the one before's. Every download tried is added to
    /// <paramref name="attempts"/>, for what each left on disk.
    /// </summary>
    /// <returns>The download that finished; its file has its name.</returns>
    /// <exception cref="DownloadException">No content could be fetched; the message says why for each.</exception>
    public static async Task<(SwarmDownload Download, string Path)> RunFirstWorkingAsync(
        Downloader owner,
        DownloadPlan plan,
        Transfer transfer,
        DownloadFolder folder,
        string fileName,
        Func<DownloadPlan, CancellationToken, Task<IReadOnlyList<DownloadSource>>>? findSources,
        ICollection<SwarmDownload> attempts,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        var admission = new SourceAdmission(owner.Options.SourceLimits.MaxPerAddress);
        List<DownloadPlan> contents = [plan, .. plan.Fallbacks];
        var failures = new List<string>();
        for (var i = 0; ; i++)
        {
            var content = contents[i];
            try
            {
                var download = new SwarmDownload(owner, content, transfer, folder, fileName, findSources is null ? null : token => findSources(content, token), admission);
                attempts.Add(download);
                var path = await download.RunAsync(cancellationToken).ConfigureAwait(false);
                return (download, path);
            }
            catch (ContentFailedException ex)
            {
                var failure = ex.Details is null ? ex.Message : $"{ex.Message} ({ex.Details})";
                if (contents.Count == 1)
                {
                    throw new DownloadException($"could not download \"{plan.Name}\": {failure}");
                }

                failures.Add($"{content.Describe()}: {failure}");
                if (i + 1 == contents.Count)
                {
                    throw new DownloadException($"could not download \"{plan.Name}\": none of the {contents.Count} contents found under this name has a working source: {string.Join("; ", failures)}");
                }

                transfer.SwitchContent(new ContentSwitch(content, ex.Message, contents[i + 1]));
                owner.Logger.LogWarning("download of {File}: {Content} failed: {Reason}; trying {Next}", plan.Name, content.Describe(), failure, contents[i + 1].Describe());
            }
        }
    }

    /// <summary>Runs the download to its end; returns the path of the complete, verified file.</summary>
    private async Task<string> RunAsync(CancellationToken cancellationToken)
    {
        _transfer.TotalBytes = (long)_plan.Size;
        if (_chunkCount == 0)
        {
            // An empty file has no chunks and nothing to fetch; its id is that of no bytes, as
            // the constructor has checked.
            return await StoreAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            _hashList = await FetchHashListAsync(_plan.Sources, cancellationToken).ConfigureAwait(false)
                ?? await FetchHashListAsync(await FindMoreSourcesAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            TakeHashListConnection(null)?.Dispose();
            throw;
        }
        finally
        {
            // Nothing is claimed yet, but an earlier run may have left this content's .part: it
            // stays as it is, and what a failure or cancellation says it leaves is the truth.
            if (_hashList is null && DownloadFiles.FindEarlier(_folder, _fileName, _plan.Id, _plan.Size, _chunkCount) is { } earlier)
            {
                (KeptPartPath, KeptChunks) = earlier;
            }
        }

        if (_hashList is null)
        {
            var reason = $"no source gave a hash list for id {_plan.Id}";
            throw KeptChunks == 0
                ? new ContentFailedException(reason, DroppedSummary())
                : new DownloadException($"could not download \"{_plan.Name}\": {reason} ({DroppedSummary()}); a content with verified chunks kept is never given up for another");
        }

        try
        {
            return await StoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Not taken by a source (it was not chosen, or nothing was left to fetch).
            TakeHashListConnection(null)?.Dispose();
        }
    }

    /// <summary>
    /// Claims the <c>.part</c>, makes room for all of it before anything is fetched, re-checks
    /// the chunks its record lists, fetches the rest and gives the complete file its name.
    /// Should any of it fail or be cancelled, see <see cref="LeaveUnfinished"/>.
    /// </summary>
    private async Task<string> StoreAsync(CancellationToken cancellationToken)
    {
        var files = DownloadFiles.Claim(_folder, _fileName, _plan.Id, _plan.Size, _chunkCount, _options.DirectWrites);
        _files = files;
        _file = files.Part;
        var published = false;
        try
        {
            files.ReserveSpace();
            var resumed = await RecheckAsync(files.Listed, cancellationToken).ConfigureAwait(false);
            _record = files.StartRecord(_plan.Id, _plan.Size, _chunkCount, resumed, _options.ResumeRecordInterval);
            _scheduler = new ChunkScheduler(_chunkCount, resumed, new Random());
            ResumedChunks = resumed.Count;
            OfferToOthers(files, resumed);
            _transfer.AddBytes(resumed.Sum(ChunkLength));
            if (ResumedChunks > 0)
            {
                Logger.LogInformation("resuming {File} from {Part}: {Chunks} of {Total} chunks already verified", _plan.Name, files.PartPath, ResumedChunks, _chunkCount);
            }

            if (!AllStored)
            {
                await RunSourcesAsync(cancellationToken).ConfigureAwait(false);
            }

            var path = files.Publish(_fileName, _options.SyncToDisk);
            published = true;
            if (_held is { } held)
            {
                // The descriptor reads the renamed file as well: others may go on fetching from
                // it until the share serves it under its name (see Downloader.KeepServing).
                _owner.KeepServing(held);
            }

            return path;
        }
        finally
        {
            if (!published)
            {
                StopOffering();
                LeaveUnfinished(files);
            }

            files.Dispose();
        }
    }

    /// <summary>
    /// From the moment the .part is claimed and its chunks re-checked, offers the chunks verified
    /// and written to other downloaders of the content (<see cref="HeldDownloads"/>), through a
    /// read-only descriptor of the .part itself. Nothing is offered when the downloader serves
    /// nobody, or when another download of this content in this peer offers it already.
    /// </summary>
    private void OfferToOthers(DownloadFiles files, IReadOnlyCollection<int> resumed)
    {
        if (_options.Holdings is not { } holdings)
        {
            return;
        }

        var stored = new ChunkSet(_chunkCount);
        foreach (var chunk in resumed)
        {
            stored.Add(chunk);
        }

        var reader = _folder.TryReopen(files.PartName, files.Part.Handle, LibC.ReadOnly);
        if (reader is null)
        {
            Logger.LogWarning("{File}: {Part} could not be opened for reading, so its chunks are not offered to others", _plan.Name, files.PartPath);
            return;
        }

        var held = new HeldDownload(_plan.Name, _plan.Size, _plan.Id, _hashList!.Digests, stored, reader) { InFlight = _scheduler };
        if (holdings.TryAdd(held))
        {
            _held = held;
        }
        else
        {
            held.Dispose();
        }
    }

    /// <summary>Stops offering this download's chunks: it failed or was cancelled, and its .part is left for a resume only.</summary>
    private void StopOffering()
    {
        if (_held is { } held && _options.Holdings is { } holdings)
        {
            holdings.Remove(held);
            held.Dispose();
            _held = null;
        }
    }

    /// <summary>
    /// What a download that did not finish leaves behind. Verified chunks are worth keeping, and
    /// an earlier run's files are never this run's to delete: the .part and its record stay for a
    /// resume, the record brought up to date. Only files this run made that hold no verified chunk
    /// are removed: they would only take space.
    /// </summary>
    private void LeaveUnfinished(DownloadFiles files)
    {
        if (files.CreatedNow && StoredCount == 0)
        {
            files.Discard();
            return;
        }

        FlushRecord();
        KeptPartPath = files.PartPath;
        KeptChunks = StoredCount;
    }

    private long ChunkLength(int chunk) =>
        Math.Min(Limits.ChunkSize, (long)_plan.Size - ((long)chunk * Limits.ChunkSize));

    private async Task<List<int>> RecheckAsync(IReadOnlyList<int> listed, CancellationToken cancellationToken)
    {
        var verified = new List<int>();
        var buffer = ArrayPool<byte>.Shared.Rent(Limits.ChunkSize);
        try
        {
            foreach (var chunk in listed)
            {
                var length = (int)ChunkLength(chunk);
                var read = await RandomAccess.ReadAsync(_file!.Handle, buffer.AsMemory(0, length), (long)chunk * Limits.ChunkSize, cancellationToken).ConfigureAwait(false);
                if (read == length && ChunkPipeline.ChunkMatches(_hashList!, chunk, buffer.AsSpan(0, length)))
                {
                    verified.Add(chunk);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (verified.Count < listed.Count)
        {
            Logger.LogWarning("{File}: {Bad} of the {Listed} chunks the resume record lists did not verify and will be fetched again", _plan.Name, listed.Count - verified.Count, listed.Count);
        }

        return verified;
    }

    /// <summary>Chunks written to the .part and recorded; the download is done when all are.</summary>
    private int StoredCount => _record?.StoredCount ?? 0;

    private bool AllStored => StoredCount == _chunkCount;

    /// <summary>Writes the chunks recorded since the last write of the resume record; a failure to do so only costs a re-fetch on resume.</summary>
    private void FlushRecord()
    {
        try
        {
            _record?.Flush();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Logger.LogWarning("{File}: could not write the resume record: {Reason}", _plan.Name, ex.Message);
        }
    }

    /// <summary>The HASH_LIST payload this file's list takes: <c>u32 chunk size, u32 count</c>, then a digest per chunk.</summary>
    private int HashListPayload => 8 + (_chunkCount * Limits.IdLength);

    /// <summary>
    /// Asks <paramref name="sources"/> in turn for the hash list; null when none gave a
    /// trustworthy one. Each must deliver it, from the HASHES request on, within
    /// <see cref="HashListDeadline"/>, or it is dropped as too slow and the next one is asked.
    /// </summary>
    private async Task<HashListMessage?> FetchHashListAsync(IReadOnlyList<DownloadSource> sources, CancellationToken cancellationToken)
    {
        var allowed = HashListDeadline;
        foreach (var source in sources)
        {
            var name = source.Name;
            if (IsDropped(name) || !Admit(source))
            {
                continue;
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            FrameConnection? connection = null;
            try
            {
                // The list is read as one frame: no larger frame is worth receiving, and the frame
                // may take as long as the whole list is allowed to.
                connection = await ConnectAsync(source.EndPoint, HashListPayload, allowed, cancellationToken).ConfigureAwait(false);
                deadline.CancelAfter(allowed);
                await connection.SendAsync(new HashesMessage(_plan.Id), deadline.Token).ConfigureAwait(false);
                var reply = await connection.ReadMessageAsync(allowed, deadline.Token).ConfigureAwait(false);
                switch (reply)
                {
                    case HashListMessage list when list.Count == _chunkCount && list.Matches(_plan.Id):
                        if (_chunkCount <= _options.HashListConnectionMaxChunks)
                        {
                            // A small file's whole transfer may take less than a connection's
                            // set-up: its chunks are asked for on this same connection.
                            lock (_dropped)
                            {
                                (_hashListConnection, _hashListSource) = (connection, name);
                            }

                            connection = null;
                        }

                        return list;
                    case HashListMessage:
                        Drop(name, "sent a hash list that does not hash to the file's id", forGood: true);
                        break;
                    case ErrorMessage error:
                        Drop(name, $"refused HASHES: {error.Text}");
                        break;
                    default:
                        Drop(name, $"answered HASHES with {reply?.Name ?? "nothing"}", forGood: true);
                        break;
                }
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                Drop(name, $"too slow: the hash list ({HashListPayload} bytes) did not arrive within {allowed.TotalSeconds:0} s, at {_options.SourceLimits.MinRate} bytes/s at least (--min-source-rate)");
            }
            catch (SourceFailedException ex)
            {
                Drop(name, ex.Message);
            }
            catch (ProtocolException ex)
            {
                Drop(name, ex.Message, forGood: true);
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or TimeoutException or EndOfStreamException or IOException)
            {
                Drop(name, ex.Message);
            }
            finally
            {
                connection?.Dispose();
            }
        }

        return null;
    }

    /// <summary>
    /// The connection the hash list came over when it came from <paramref name="source"/> and is
    /// still unused (null takes it whatever its source, to close it); it is taken once.
    /// </summary>
    private FrameConnection? TakeHashListConnection(string? source)
    {
        lock (_dropped)
        {
            if (_hashListConnection is not { } connection || (source is not null && source != _hashListSource))
            {
                return null;
            }

            (_hashListConnection, _hashListSource) = (null, null);
            return connection;
        }
    }

    /// <summary>How long a source may take to deliver the hash list once asked: the stall timeout plus its bytes at the minimum rate.</summary>
    private TimeSpan HashListDeadline => _options.SourceLimits.Deadline(HashListPayload, _options.StallTimeout);

    /// <summary>
    /// Whether <paramref name="source"/> may be used: its address has not supplied its share of
    /// sources to this download yet (see <see cref="SourceAdmission"/>). A source turned away is
    /// remembered for the reason a download gives when it fails.
    /// </summary>
    private bool Admit(DownloadSource source)
    {
        if (_admission.TryTake(source))
        {
            return true;
        }

        lock (_dropped)
        {
            _notAdmitted.Add(source.Name);
        }

        return false;
    }

    /// <summary>Searches again; returns the sources not tried and dropped yet.</summary>
    private async Task<IReadOnlyList<DownloadSource>> FindMoreSourcesAsync(CancellationToken cancellationToken)
    {
        if (_findSources is null)
        {
            return [];
        }

        try
        {
            var found = await _findSources(cancellationToken).ConfigureAwait(false);
            return [.. found.Where(s => !IsDropped(s.Name))];
        }
        catch (Exception ex) when (ex is DirectoryException or DownloadException)
        {
            Logger.LogWarning("{File}: searching for more sources failed: {Reason}", _plan.Name, ex.Message);
            return [];
        }
    }

    /// <summary>
    /// A connection to a source: it may send what a downloader receives (<see cref="FrameLimits.Downloader"/>),
    /// a HASH_LIST of at most <paramref name="maxHashList"/> bytes (0 where none was asked for)
    /// and a CHUNK_MAP of this file's chunk count, larger frames refused before they are read; a frame must complete within
    /// <paramref name="frameTimeout"/> of its first byte.
    /// </summary>
    private async Task<FrameConnection> ConnectAsync(IPEndPoint source, int maxHashList, TimeSpan frameTimeout, CancellationToken cancellationToken)
    {
        System.Net.Sockets.Socket socket;
        try
        {
            socket = await HostPort.ConnectAsync([source.Address], source.Port, _options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new SourceFailedException(ex.Message);
        }

        var limits = FrameLimits.Downloader
            .WithMaxPayload(MessageType.HashList, maxHashList)
            .WithMaxPayload(MessageType.ChunkMap, 4 + (2 * ChunkBitmap.ByteLength(_chunkCount)));
        return new FrameConnection(socket, limits) { FrameTimeout = frameTimeout };
    }

    /// <summary>
    /// Whether <paramref name="source"/> may not be used now: it was dropped for good (it lied or
    /// broke the protocol), or it was dropped for another reason less than its back-off ago.
    /// </summary>
    private bool IsDropped(string source)
    {
        lock (_dropped)
        {
            return _dropped.TryGetValue(source, out var dropped) && (dropped.ForGood || Stopwatch.GetTimestamp() < dropped.RetryAt);
        }
    }

    /// <summary>
    /// Drops <paramref name="source"/>: its chunks go to others. One that lied or broke the
    /// protocol (<paramref name="forGood"/>) is never asked again; any other (lost, too slow,
    /// refusing) may be tried again if a later lookup still lists it, after a back-off that
    /// doubles with each drop (<see cref="DownloadOptions.RetryBackoff"/>, up to 16 times that).
    /// </summary>
    private void Drop(string source, string reason, bool forGood = false)
    {
        TimeSpan backoff;
        lock (_dropped)
        {
            var times = _dropped.TryGetValue(source, out var earlier) ? earlier.Times + 1 : 1;
            backoff = _options.RetryBackoff * (1 << Math.Min(times - 1, 4));
            _dropped[source] = new DroppedSource(reason, forGood || earlier?.ForGood == true, Stopwatch.GetTimestamp() + (long)(backoff.TotalSeconds * Stopwatch.Frequency), times);
        }

        _transfer.Source(source).Drop(reason);
        Logger.LogWarning("download of {File}: dropped source {Source}: {Reason}{Retry}", _plan.Name, source, reason, forGood ? string.Empty : $" (may be tried again in {backoff.TotalSeconds:0} s)");
        _changed.Pulse();
    }

    /// <summary>Why and when a source was dropped, and how many times.</summary>
    private sealed record DroppedSource(string Reason, bool ForGood, long RetryAt, int Times);

    private string DroppedSummary()
    {
        lock (_dropped)
        {
            var summary = _dropped.Count == 0 ? "no source answered" : string.Join("; ", _dropped.Select(d => $"{d.Key}: {d.Value.Reason}"));
            return _notAdmitted.Count == 0
                ? summary
                : $"{summary}; {_notAdmitted.Count} more not tried: their addresses had supplied {_options.SourceLimits.MaxPerAddress} sources already (--sources-per-address)";
        }
    }

    /// <summary>One source could not deliver; it is dropped and its chunks go to others.</summary>
    private sealed class SourceFailedException(string message) : Exception(message);

    /// <summary>
    /// This content cannot be fetched (refused on sight, or no working source, nothing of it
    /// stored): the next content found under the name may be. The message is the reason in a
    /// few words, <see cref="Details"/> what each source did.
    /// </summary>
    private sealed class ContentFailedException(string reason, string? details) : Exception(reason)
    {
        public string? Details { get; } = details;
    }
}
