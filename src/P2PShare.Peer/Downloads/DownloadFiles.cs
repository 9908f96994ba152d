using Microsoft.Win32.SafeHandles;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// The files of one unfinished download in its folder: <c>NAME.part</c>, locked while it is
/// used, and its resume record <c>NAME.part.state</c> (<see cref="ResumeRecordFormat"/>), both
/// held open.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Claim"/> adopts this content's <c>.part</c> only when it is a regular file of this
/// user with a single link (not a symbolic link, not a hard link to something else) and its
/// record is there, equally so, and valid for this content (id, size and chunk count). Anything
/// else under the name — a link, a folder, the <c>.part</c> of other content, a file without a
/// record — is not this download's to touch: it is left alone, and the download goes to the
/// next name, <c>NAME (1).part</c>, <c>NAME (2).part</c>, ... up to <see cref="MaxPartNames"/>
/// of them; a later run resumes whichever one holds this content. New files are created
/// exclusively (<c>O_CREAT|O_EXCL|O_NOFOLLOW</c>).
/// </para>
/// <para>
/// Files are removed in three places only, each time files this download made and holding no
/// verified chunk or whose chunks are safe elsewhere: a <c>.part</c> made a moment ago whose
/// record could not be made (<see cref="Claim"/>); a pair made by this run that has not stored a
/// chunk (<see cref="Discard"/>, when the download fails or is cancelled early); and the record
/// once the <c>.part</c> is published under its final name (<see cref="Publish"/>). A name is
/// removed only while it still names the file this download has open.
/// </para>
/// </remarks>
internal sealed class DownloadFiles : IDisposable
{
    /// <summary>How many <c>.part</c> names a download tries: <c>NAME.part</c> and <c>NAME (1).part</c> to <c>NAME (99).part</c>.</summary>
    public const int MaxPartNames = 100;

    /// <summary>How many names a published file tries: <c>NAME</c>, <c>NAME (1)</c>, ...</summary>
    private const int MaxPublishedNames = 10_000;

    /// <summary>Another process may take a free name between the look and the creation: look again this many times.</summary>
    private const int ClaimAttempts = 3;

    private readonly DownloadFolder _folder;
    private readonly SafeFileHandle _record;

    private DownloadFiles(DownloadFolder folder, string partName, PartFile part, SafeFileHandle record, bool createdNow, ResumeRecordContent content)
    {
        _folder = folder;
        PartName = partName;
        Part = part;
        _record = record;
        CreatedNow = createdNow;
        Listed = content.Chunks;
        RecordSequence = content.Sequence;
    }

    /// <summary>The <c>.part</c>'s name in its folder (<c>NAME.part</c>, or <c>NAME (N).part</c>).</summary>
    public string PartName { get; }

    public string PartPath => _folder.PathOf(PartName);

    public PartFile Part { get; }

    /// <summary>Whether this run made the files (true) or adopted an earlier run's (false).</summary>
    public bool CreatedNow { get; }

    /// <summary>The chunks the record lists: to be re-checked against the hash list before they are trusted.</summary>
    public IReadOnlyList<int> Listed { get; }

    /// <summary>The sequence of the record's newest copy.</summary>
    public ulong RecordSequence { get; }

    private string RecordName => PartName + ResumeRecordFormat.Suffix;

    /// <summary>
    /// Adopts this content's <c>.part</c> under one of the names tried, or makes a new one under
    /// the first name that is free (nothing there, or only a lone record file that is a
    /// download's own). Throws a <see cref="DownloadException"/> when this content's
    /// <c>.part</c> is being downloaded into by another process, or every name is taken.
    /// </summary>
    public static DownloadFiles Claim(DownloadFolder folder, string fileName, ContentId id, ulong size, int chunkCount, bool directWrites)
    {
        ArgumentNullException.ThrowIfNull(folder);
        for (var attempt = 0; attempt < ClaimAttempts; attempt++)
        {
            string? free = null;
            // Mostly the names are not there: one listing spares a hundred lookups.
            var present = folder.NamesStartingWith(fileName);
            for (var index = 0; index < MaxPartNames; index++)
            {
                var partName = PartNameOf(fileName, index);
                var part = present is null || present.Contains(partName) ? folder.Look(partName) : null;
                if (part is null)
                {
                    var recordName = partName + ResumeRecordFormat.Suffix;
                    free ??= (present is not null && !present.Contains(recordName)) || IsFree(folder, recordName) ? partName : null;
                    continue;
                }

                if (TryAdopt(folder, partName, part.Value, id, size, chunkCount, directWrites) is { } adopted)
                {
                    return adopted;
                }
            }

            if (free is null)
            {
                throw new DownloadException(
                    $"{folder.PathOf(PartNameOf(fileName, 0))} and the next {MaxPartNames - 1} names are all taken by files this download cannot resume (links, folders, other content's downloads, files it did not make); they are left alone: move them away to download \"{fileName}\" here");
            }

            if (TryCreate(folder, free, id, size, chunkCount, directWrites) is { } created)
            {
                return created;
            }
        }

        throw new DownloadException($"could not make {folder.PathOf(PartNameOf(fileName, 0))}: other processes kept taking the free names");
    }

    /// <summary>
    /// The <c>.part</c> an earlier run left for this content under one of the names
    /// <see cref="Claim"/> tries, and how many chunks its record lists as verified, without
    /// opening the <c>.part</c> or taking anything; null when there is none, or when the folder
    /// cannot be read (this only informs what a download says it leaves behind).
    /// </summary>
    public static (string PartPath, int ListedChunks)? FindEarlier(DownloadFolder folder, string fileName, ContentId id, ulong size, int chunkCount)
    {
        ArgumentNullException.ThrowIfNull(folder);
        try
        {
            var present = folder.NamesStartingWith(fileName);
            for (var index = 0; index < MaxPartNames; index++)
            {
                var partName = PartNameOf(fileName, index);
                if ((present is null || present.Contains(partName)) && folder.Look(partName) is { } part && ReadRecordOf(folder, partName, part, id, size, chunkCount, out _) is { } content)
                {
                    return (folder.PathOf(partName), content.Chunks.Count);
                }
            }
        }
        catch (IOException)
        {
            // Unreadable now: nothing is claimed about it.
        }

        return null;
    }

    /// <summary><c>NAME.part</c>, then <c>NAME (1).part</c>, ...</summary>
    public static string PartNameOf(string fileName, int index) =>
        (index == 0 ? fileName : $"{fileName} ({index})") + ShareIndex.PartialSuffix;

    /// <summary>
    /// Makes sure the whole <c>.part</c> has room on disk before anything is fetched: its blocks
    /// are allocated (<c>fallocate</c>), so a full disk is found now, and the chunks written
    /// later cannot run out of space. File systems without <c>fallocate</c> get a check of the
    /// free space instead. Throws an <see cref="IOException"/> with HResult ENOSPC when it does
    /// not fit, saying how much is needed and how much is free.
    /// </summary>
    public void ReserveSpace()
    {
        var length = RandomAccess.GetLength(Part.Handle);
        if (length == 0)
        {
            return;
        }

        var errno = LibC.Allocate(Part.Handle, length);
        if (errno == 0)
        {
            return;
        }

        if (errno is not (LibC.NoSpace or LibC.NotSupported or LibC.NotImplemented or LibC.InvalidArgument))
        {
            throw LibC.Failure($"cannot allocate {PartPath}", errno);
        }

        var needed = Math.Max(0, length - LibC.Stat(Part.Handle).AllocatedBytes);
        var free = new DriveInfo(_folder.Path).AvailableFreeSpace;
        if (errno == LibC.NoSpace || free < needed)
        {
            throw new IOException($"{PartPath} needs {Mebibytes(needed)} more and {_folder.Path} has {Mebibytes(free)} free", LibC.NoSpace);
        }
    }

    /// <summary>A tracker for the record, starting from <paramref name="verified"/>, which it writes at once.</summary>
    public ResumeRecord StartRecord(ContentId id, ulong size, int chunkCount, IReadOnlyCollection<int> verified, TimeSpan interval)
    {
        var record = new ResumeRecord(_record, RecordSequence, id, size, chunkCount, verified, interval);
        record.Rewrite();
        return record;
    }

    /// <summary>
    /// Gives the complete, verified <c>.part</c> its name: the first of <paramref name="fileName"/>,
    /// <c>NAME (1)</c>, <c>NAME (2)</c>, ... that is free (nothing is replaced, not even a
    /// dangling link); then removes the record. Returns the file's path. With
    /// <paramref name="syncToDisk"/>, the data is on the device before the rename, and the
    /// folder's new entry after it.
    /// </summary>
    public string Publish(string fileName, bool syncToDisk)
    {
        if (syncToDisk)
        {
            Part.SyncToDisk();
        }

        for (var attempt = 0; attempt < MaxPublishedNames; attempt++)
        {
            var candidate = attempt == 0 ? fileName : $"{fileName} ({attempt})";
            if (_folder.TryRenameNoReplace(PartName, candidate))
            {
                // Should this fail, the lone record is taken over by the next download under this name.
                _folder.DeleteIfSame(RecordName, _record);
                if (syncToDisk)
                {
                    _folder.SyncEntries();
                }

                return _folder.PathOf(candidate);
            }
        }

        throw new IOException($"no free name for {_folder.PathOf(fileName)}: {fileName} and the next {MaxPublishedNames - 1} numbered names are taken");
    }

    /// <summary>Removes the <c>.part</c> and the record; only for files this run made and that hold no verified chunk.</summary>
    public void Discard()
    {
        if (!CreatedNow)
        {
            throw new InvalidOperationException($"{PartPath} was adopted, not made by this run: it is never discarded");
        }

        _folder.DeleteIfSame(PartName, Part.Handle);
        _folder.DeleteIfSame(RecordName, _record);
    }

    public void Dispose()
    {
        Part.Dispose();
        _record.Dispose();
    }

    /// <summary>Regular, this user's, one link: what this process makes, and nothing planted to redirect its writes.</summary>
    private static bool IsOwnFile(in FileStatus status) =>
        status.IsRegularFile && status.Links == 1 && status.Owner == LibC.EffectiveUser;

    /// <summary>Whether a new <c>.part</c> may go beside <paramref name="recordName"/>: nothing is there, or a download's own lone record.</summary>
    private static bool IsFree(DownloadFolder folder, string recordName) =>
        folder.Look(recordName) is not { } record || IsLoneRecord(folder, recordName, record);

    private static bool IsLoneRecord(DownloadFolder folder, string recordName, in FileStatus status)
    {
        if (!IsOwnFile(status) || status.Length > ResumeRecordFormat.MaxFileLength)
        {
            return false;
        }

        using var handle = folder.OpenExisting(recordName, write: false, status);
        return handle is not null && ResumeRecordFormat.IsRecordFile(ReadAll(handle, status.Length));
    }

    /// <summary>The files under <paramref name="partName"/> when they are this content's download; null when they are not this download's to touch.</summary>
    private static DownloadFiles? TryAdopt(DownloadFolder folder, string partName, in FileStatus part, ContentId id, ulong size, int chunkCount, bool directWrites)
    {
        var recordName = partName + ResumeRecordFormat.Suffix;
        if (ReadRecordOf(folder, partName, part, id, size, chunkCount, out var record) is not { } content)
        {
            return null;
        }

        // This content's download: from here on a problem is an error, not a reason to look elsewhere.
        var partHandle = folder.OpenExisting(partName, write: true, part);
        if (partHandle is null)
        {
            return null;
        }

        SafeFileHandle? recordHandle = null;
        try
        {
            if (!LibC.TryLockExclusive(partHandle))
            {
                throw new DownloadException($"{folder.PathOf(partName)} is in use: this content is already being downloaded into this folder by another process");
            }

            recordHandle = folder.OpenExisting(recordName, write: true, record)
                ?? throw new DownloadException($"{folder.PathOf(recordName)} changed while it was being read; it and {partName} are left as they are");
            if (RandomAccess.GetLength(partHandle) < (long)size)
            {
                // Made, but killed before it was sized: the chunks past its end re-check as missing.
                RandomAccess.SetLength(partHandle, (long)size);
            }

            return new DownloadFiles(folder, partName, PartFile.Take(folder, partName, partHandle, directWrites), recordHandle, createdNow: false, content);
        }
        catch
        {
            recordHandle?.Dispose();
            partHandle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The record beside <paramref name="partName"/> (whose status is <paramref name="part"/>)
    /// when the two are this content's download: each a file of this user with one link, the
    /// <c>.part</c> no longer than the file, the record valid for this id, size and chunk count;
    /// null otherwise. <paramref name="record"/> is the record's status, for opening it again.
    /// </summary>
    private static ResumeRecordContent? ReadRecordOf(DownloadFolder folder, string partName, in FileStatus part, ContentId id, ulong size, int chunkCount, out FileStatus record)
    {
        var recordName = partName + ResumeRecordFormat.Suffix;
        record = default;
        if (!IsOwnFile(part) || part.Length > (long)size
            || folder.Look(recordName) is not { } status || !IsOwnFile(status) || status.Length != ResumeRecordFormat.FileLength(chunkCount))
        {
            return null;
        }

        record = status;
        using var reading = folder.OpenExisting(recordName, write: false, status);
        return reading is null ? null : ResumeRecordFormat.Decode(ReadAll(reading, status.Length), id, size, chunkCount);
    }

    /// <summary>A new <c>.part</c> and record under <paramref name="partName"/>; null when another process took the name first.</summary>
    private static DownloadFiles? TryCreate(DownloadFolder folder, string partName, ContentId id, ulong size, int chunkCount, bool directWrites)
    {
        var part = PartFile.TryCreate(folder, partName, (long)size, directWrites);
        if (part is null)
        {
            return null;
        }

        var recordName = partName + ResumeRecordFormat.Suffix;
        SafeFileHandle? record = null;
        try
        {
            record = folder.CreateNew(recordName);
            if (record is null && folder.Look(recordName) is { } lone && IsLoneRecord(folder, recordName, lone))
            {
                record = folder.OpenExisting(recordName, write: true, lone);
            }

            if (record is null)
            {
                // Taken meanwhile by something that is not a download's lone record.
                folder.DeleteIfSame(partName, part.Handle);
                part.Dispose();
                return null;
            }

            var bytes = ResumeRecordFormat.EncodeFile(id, size, chunkCount, []);
            RandomAccess.Write(record, bytes, 0);
            RandomAccess.SetLength(record, bytes.Length);
            return new DownloadFiles(folder, partName, part, record, createdNow: true, new ResumeRecordContent(1, []));
        }
        catch
        {
            // Made a moment ago and holding nothing (a full disk, say): not files to leave behind.
            folder.DeleteIfSame(partName, part.Handle);
            if (record is not null)
            {
                folder.DeleteIfSame(recordName, record);
                record.Dispose();
            }

            part.Dispose();
            throw;
        }
    }

    private static byte[] ReadAll(SafeFileHandle handle, long length)
    {
        var bytes = new byte[length];
        var done = 0;
        while (done < bytes.Length)
        {
            var read = RandomAccess.Read(handle, bytes.AsSpan(done), done);
            if (read == 0)
            {
                return bytes[..done];
            }

            done += read;
        }

        return bytes;
    }

    private static string Mebibytes(long bytes) => $"{bytes / (1024.0 * 1024.0):0.0} MiB";
}
