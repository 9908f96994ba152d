using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// The files a peer shares: every regular file under the shared folder, by its relative '/'
/// name. Symbolic links (to files or folders) are never followed, so nothing outside the folder
/// can be reached through the index; partial downloads (*.part, with their resume records
/// *.part.state) and files whose names the protocol does not allow are left out.
/// </summary>
/// <remarks>
/// A scan walks the folder and serves each file as soon as its id is known: at once for files
/// the index already knows unchanged (same size and modification time) or that the
/// <see cref="HashCache"/> knows, and for the others as soon as they are hashed
/// (<see cref="HashWorkers"/> files at a time, in the background of the walk). An
/// <see cref="IShareObserver"/> hears of each one as it comes, so a peer can announce them
/// while the scan goes on. Scans are serialized: a second one waits for the first.
/// </remarks>
public sealed class ShareIndex : IDisposable
{
    public const string PartialSuffix = ".part";

    private static readonly ContentId EmptyFileId = ContentHasher.Compute([]);

    // A partial download, its resume record (NAME.part.state) and the record's temporary file.
    private static readonly string[] DownloadSuffixes = [PartialSuffix, PartialSuffix + ".state", PartialSuffix + ".state.tmp"];

    private readonly string _root;
    private readonly HashCache? _cache;
    private readonly SemaphoreSlim _scanLock = new(1, 1);

    // Readers (uploads) look files up without a lock; changes and observer calls happen under _publishLock.
    private readonly Lock _publishLock = new();
    private readonly ConcurrentDictionary<string, SharedFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ContentId, SharedFile[]> _byId = new();

    private long _filesHashed;
    private long _bytesHashed;
    private long _filesFromCache;
    private ScanRun? _currentRun;

    /// <param name="root">The shared folder.</param>
    /// <param name="cache">Where ids of files hashed before are kept (not owned: the caller disposes it); null for none.</param>
    public ShareIndex(string root, HashCache? cache = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        _cache = cache;
    }

    public string Root => _root;

    /// <summary>Files hashed at the same time during a scan.</summary>
    public int HashWorkers { get; init; } = 2;

    /// <summary>Current snapshot, sorted by name.</summary>
    public IReadOnlyList<SharedFile> Files => [.. _files.Values.OrderBy(f => f.Name, StringComparer.Ordinal)];

    public int Count => _files.Count;

    /// <summary>Files read and hashed by all scans so far.</summary>
    public long FilesHashed => Interlocked.Read(ref _filesHashed);

    /// <summary>Bytes read to hash <see cref="FilesHashed"/>.</summary>
    public long BytesHashed => Interlocked.Read(ref _bytesHashed);

    /// <summary>Files whose ids came from the hash cache, over all scans so far.</summary>
    public long FilesFromCache => Interlocked.Read(ref _filesFromCache);

    /// <summary>New or changed files the last scan left out because they were modified too recently (see <see cref="RescanAsync(IShareObserver?, TimeSpan, CancellationToken)"/>).</summary>
    public int UnsettledFiles { get; private set; }

    /// <summary>When the first of the <see cref="UnsettledFiles"/> will have settled (UTC); null when there are none.</summary>
    public DateTime? FirstSettlesUtc { get; private set; }

    /// <summary>Files the running scan has found and still has to hash (0 when no scan runs).</summary>
    public int PendingHashes => Volatile.Read(ref _currentRun)?.Progress().FilesToHash ?? 0;

    /// <summary>How far the running scan is; null when no scan runs.</summary>
    public ShareScanProgress? Progress => Volatile.Read(ref _currentRun)?.Progress();

    public void Dispose() => _scanLock.Dispose();

    public bool TryGet(string name, out SharedFile file) => _files.TryGetValue(name, out file!);

    /// <summary>A shared file with this content (any one, when several files have the same content).</summary>
    public bool TryGetById(ContentId id, out SharedFile file)
    {
        if (_byId.TryGetValue(id, out var files) && files.Length > 0)
        {
            file = files[0];
            return true;
        }

        file = null!;
        return false;
    }

    /// <summary>
    /// Walks the shared folder, hashes new and changed files, and updates the index.
    /// Returns what changed compared with the index before the scan.
    /// </summary>
    public Task<ShareChanges> RescanAsync(CancellationToken cancellationToken = default) => RescanAsync(null, cancellationToken);

    /// <summary>
    /// Walks the shared folder and updates the index file by file, telling
    /// <paramref name="observer"/> of every new or changed file as soon as it is served, and of
    /// the files that are gone at the end. Returns what changed compared with the index before
    /// the scan. Waits for a scan that is already running.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The shared folder does not exist.</exception>
    public Task<ShareChanges> RescanAsync(IShareObserver? observer, CancellationToken cancellationToken = default) => RescanAsync(observer, TimeSpan.Zero, cancellationToken);

    /// <summary>
    /// As <see cref="RescanAsync(IShareObserver?, CancellationToken)"/>, but leaves out new and
    /// changed files modified less than <paramref name="settleTime"/> ago (they may still be
    /// being written; a changed one stops being served): <see cref="UnsettledFiles"/> counts them,
    /// and a later scan picks them up.
    /// </summary>
    public async Task<ShareChanges> RescanAsync(IShareObserver? observer, TimeSpan settleTime, CancellationToken cancellationToken = default)
    {
        await _scanLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!System.IO.Directory.Exists(_root))
            {
                throw new DirectoryNotFoundException($"shared folder {_root} does not exist");
            }

            return await ScanAsync(observer, settleTime, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _currentRun, null);
            _scanLock.Release();
        }
    }

    /// <summary>
    /// Opens a shared file for sending, checking that what was opened is still the regular file
    /// inside the shared folder that was announced (it may have been replaced by a link, or
    /// changed). The file is opened without following a link below the shared folder, and the
    /// checks look at the open file, not at its path: the caller sends from this stream only.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file is gone or is no longer what was announced.</exception>
    public FileStream OpenForUpload(SharedFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        FileStream stream;
        if (NoFollowOpen.TryOpenForSending(_root, file.Name) is { } opened)
        {
            stream = opened;
        }
        else
        {
            // Where there is no openat: check the path, then open it (a swap in between is not caught).
            EnsureNoLinkOnPath(file.FullPath);
            stream = ContentHasher.OpenForReading(file.FullPath);
        }

        if (!stream.CanSeek || stream.Length != file.Size || File.GetLastWriteTimeUtc(stream.SafeFileHandle) != file.LastWriteUtc)
        {
            stream.Dispose();
            throw new FileNotFoundException($"{file.Name} changed since it was announced; it will be announced again after the next rescan");
        }

        return stream;
    }

    private async Task<ShareChanges> ScanAsync(IShareObserver? observer, TimeSpan settleTime, CancellationToken cancellationToken)
    {
        var run = new ScanRun(observer) { SettleTime = settleTime };
        Volatile.Write(ref _currentRun, run);
        var work = System.Threading.Channels.Channel.CreateUnbounded<Candidate>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = false });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var workers = Enumerable.Range(0, Math.Max(1, HashWorkers))
            .Select(_ => Task.Run(() => HashWorkerAsync(work.Reader, run, stop.Token), CancellationToken.None))
            .ToArray();
        try
        {
            Walk(run, work.Writer, cancellationToken);
        }
        catch
        {
            work.Writer.TryComplete();
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(workers).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }
        finally
        {
            run.Walking = false;
        }

        work.Writer.TryComplete();
        await Task.WhenAll(workers).ConfigureAwait(false);

        List<string> removed;
        lock (_publishLock)
        {
            removed = [.. _files.Keys.Where(name => !run.Confirmed.Contains(name)).Order(StringComparer.Ordinal)];
            foreach (var name in removed)
            {
                Unpublish(name);
            }

            if (removed.Count > 0)
            {
                observer?.FilesRemoved(removed);
            }
        }

        _cache?.RemoveMissing(_root, _files.Values.Select(f => f.FullPath).ToHashSet(StringComparer.Ordinal));

        List<FileEntry> added;
        lock (_publishLock)
        {
            added = [.. run.Added.OrderBy(e => e.Name, StringComparer.Ordinal)];
        }

        UnsettledFiles = run.Unsettled;
        FirstSettlesUtc = run.FirstSettles;
        var stats = new ShareScanStats(_files.Count, run.Unchanged, run.FromCache, run.Hashed, run.BytesHashed, run.Clock.Elapsed);
        return new ShareChanges(added, removed, [.. run.Skipped]) { Stats = stats };
    }

    /// <summary>Walks the folder: serves what the index or the cache knows at once and queues the rest for hashing.</summary>
    private void Walk(ScanRun run, ChannelWriter<Candidate> work, CancellationToken cancellationToken)
    {
        foreach (var info in EnumerateRegularFiles())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = Path.GetRelativePath(_root, info.FullName).Replace(Path.DirectorySeparatorChar, '/');
            if (IsDownloadInProgress(name))
            {
                continue;
            }

            var problem = FileName.Validate(name);
            if (problem is not null)
            {
                run.Skipped.Enqueue($"{FileName.Printable(name)}: {problem}");
                continue;
            }

            long size;
            DateTime lastWrite;
            try
            {
                size = info.Length;
                lastWrite = info.LastWriteTimeUtc;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                run.Skipped.Enqueue($"{FileName.Printable(name)}: {ex.Message}");
                continue;
            }

            if (_files.TryGetValue(name, out var known) && known.Size == size && known.LastWriteUtc == lastWrite)
            {
                lock (_publishLock)
                {
                    run.Confirmed.Add(name);
                }

                run.Unchanged++;
                continue;
            }

            if (run.SettleTime > TimeSpan.Zero && IsUnsettled(lastWrite, run.SettleTime))
            {
                run.Unsettled++;
                var settles = lastWrite + run.SettleTime;
                if (run.FirstSettles is not { } first || settles < first)
                {
                    run.FirstSettles = settles;
                }

                continue;
            }

            if (_cache?.Lookup(info.FullName, size, lastWrite.Ticks) is { } cached)
            {
                Publish(new SharedFile(name, info.FullName, size, lastWrite, cached.Id, cached.ChunkDigests), run);
                run.FromCache++;
                Interlocked.Increment(ref _filesFromCache);
                continue;
            }

            Interlocked.Increment(ref run.FilesToHash);
            Interlocked.Add(ref run.BytesToHash, size);
            work.TryWrite(new Candidate(name, info.FullName, size, lastWrite));
        }
    }

    private async Task HashWorkerAsync(ChannelReader<Candidate> work, ScanRun run, CancellationToken cancellationToken)
    {
        await foreach (var candidate in work.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                var (id, digests) = await HashAsync(candidate, run, cancellationToken).ConfigureAwait(false);
                _cache?.Store(candidate.FullPath, candidate.Size, candidate.LastWriteUtc.Ticks, id, digests);
                Interlocked.Increment(ref run.Hashed);
                Interlocked.Add(ref run.BytesHashed, candidate.Size);
                Interlocked.Increment(ref _filesHashed);
                Interlocked.Add(ref _bytesHashed, candidate.Size);
                Publish(new SharedFile(candidate.Name, candidate.FullPath, candidate.Size, candidate.LastWriteUtc, id, digests), run);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                run.Skipped.Enqueue($"{FileName.Printable(candidate.Name)}: {ex.Message}");
            }
            finally
            {
                Interlocked.Decrement(ref run.FilesToHash);
            }
        }
    }

    /// <summary>Serves <paramref name="file"/> (replacing what was known under its name) and tells the observer.</summary>
    private void Publish(SharedFile file, ScanRun run)
    {
        lock (_publishLock)
        {
            if (_files.TryGetValue(file.Name, out var previous))
            {
                RemoveById(previous);
            }

            _files[file.Name] = file;
            _byId.AddOrUpdate(file.Id, static (_, f) => [f], static (_, files, f) => [.. files, f], file);
            run.Confirmed.Add(file.Name);
            run.Added.Add(file.ToEntry());
            run.Observer?.FileAdded(file);
        }
    }

    /// <summary>Stops serving the file named <paramref name="name"/>; call under <see cref="_publishLock"/>.</summary>
    private void Unpublish(string name)
    {
        if (_files.TryRemove(name, out var file))
        {
            RemoveById(file);
        }
    }

    private void RemoveById(SharedFile file)
    {
        if (!_byId.TryGetValue(file.Id, out var files))
        {
            return;
        }

        var rest = Array.FindAll(files, f => !ReferenceEquals(f, file));
        if (rest.Length == 0)
        {
            _byId.TryRemove(file.Id, out _);
        }
        else
        {
            _byId[file.Id] = rest;
        }
    }

    private void EnsureNoLinkOnPath(string fullPath)
    {
        var path = fullPath;
        while (path.Length > _root.Length)
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is not null)
            {
                throw new FileNotFoundException($"{Path.GetRelativePath(_root, fullPath)} is reached through a symbolic link");
            }

            path = Path.GetDirectoryName(path) ?? _root;
        }

        if (!fullPath.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new FileNotFoundException("path is outside the shared folder");
        }
    }

    /// <summary>
    /// Whether a file modified at <paramref name="lastWriteUtc"/> may still be being written. A
    /// time well in the future (a skewed clock, a touched file) does not count: such a file would
    /// otherwise never be shared.
    /// </summary>
    private static bool IsUnsettled(DateTime lastWriteUtc, TimeSpan settleTime)
    {
        var age = DateTime.UtcNow - lastWriteUtc;
        return age < settleTime && age > -settleTime;
    }

    private static bool IsDownloadInProgress(string name)
    {
        foreach (var suffix in DownloadSuffixes)
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private IEnumerable<FileInfo> EnumerateRegularFiles()
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
            ReturnSpecialDirectories = false,
        };
        return new DirectoryInfo(_root).EnumerateFiles("*", options);
    }

    /// <summary>Hashes a file as <see cref="ContentHasher"/> does, counting the bytes read as the scan's progress.</summary>
    private static async Task<(ContentId Id, byte[] ChunkDigests)> HashAsync(Candidate candidate, ScanRun run, CancellationToken cancellationToken)
    {
        // An empty file's id is fixed; not opening it also keeps special files (which report a
        // length of 0) from blocking the scan.
        if (candidate.Size == 0)
        {
            return (EmptyFileId, []);
        }

        long read = 0;
        ContentId id;
        byte[] digests;
        try
        {
            var stream = ContentHasher.OpenForReading(candidate.FullPath);
            await using (stream.ConfigureAwait(false))
            {
                using var builder = new ContentIdBuilder(keepChunkDigests: true);
                var buffer = ArrayPool<byte>.Shared.Rent(Limits.ChunkSize);
                try
                {
                    int count;
                    while ((count = await stream.ReadAsync(buffer.AsMemory(0, Limits.ChunkSize), cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        builder.Append(buffer.AsSpan(0, count));
                        read += count;
                        run.Read(count);
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                id = builder.Finish();
                digests = builder.ChunkDigests;
            }
        }
        finally
        {
            // Whatever happened, this file's bytes no longer wait to be hashed.
            run.Read(candidate.Size - read, countAsRead: false);
        }

        var after = new FileInfo(candidate.FullPath);
        if (!after.Exists || after.Length != candidate.Size || after.LastWriteTimeUtc != candidate.LastWriteUtc)
        {
            throw new IOException("changed while it was being hashed; it will be picked up by the next rescan");
        }

        return (id, digests);
    }

    /// <summary>A file the walk found that has to be hashed.</summary>
    private sealed record Candidate(string Name, string FullPath, long Size, DateTime LastWriteUtc);

    /// <summary>What one scan has seen so far. <see cref="Confirmed"/> and <see cref="Added"/> are used under <see cref="_publishLock"/>.</summary>
    private sealed class ScanRun(IShareObserver? observer)
    {
        // Fields, not properties: the hash workers update them with Interlocked.
        public int Unchanged;
        public int Unsettled;
        public int FromCache;
        public int Hashed;
        public long BytesHashed;
        public int FilesToHash;
        public long BytesToHash;
        public long BytesRead;
        public volatile bool Walking = true;

        public Stopwatch Clock { get; } = Stopwatch.StartNew();

        public TimeSpan SettleTime { get; init; }

        public DateTime? FirstSettles { get; set; }

        public IShareObserver? Observer { get; } = observer;

        public HashSet<string> Confirmed { get; } = new(StringComparer.Ordinal);

        public List<FileEntry> Added { get; } = [];

        public ConcurrentQueue<string> Skipped { get; } = new();

        /// <summary><paramref name="count"/> bytes no longer wait to be hashed (and were read, when <paramref name="countAsRead"/>).</summary>
        public void Read(long count, bool countAsRead = true)
        {
            Interlocked.Add(ref BytesToHash, -count);
            if (countAsRead)
            {
                Interlocked.Add(ref BytesRead, count);
            }
        }

        public ShareScanProgress Progress() => new(
            Walking,
            Math.Max(0, Volatile.Read(ref FilesToHash)),
            Math.Max(0, Interlocked.Read(ref BytesToHash)),
            Interlocked.Read(ref BytesRead),
            Clock.Elapsed);
    }
}
