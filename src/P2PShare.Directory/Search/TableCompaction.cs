using System.Buffers;

namespace P2PShare.Directory.Search;

/// <summary>
/// Builds a compacted copy of a <see cref="FileTable"/> (its live entries, same order, new ids)
/// a slice at a time while the table goes on changing, so that no one waits for a whole
/// rebuild: <see cref="CopySlice"/> runs under the registry's read lock, a slice at a time,
/// and only <see cref="Finish"/>, which catches up with what changed meanwhile, under its write
/// lock. Correct because the source only ever appends entries and turns live ones dead: the
/// entries that existed when the compaction started are copied as they were, those added since
/// are copied by <see cref="Finish"/>, and copies of entries that died since are killed there.
/// </summary>
internal sealed class TableCompaction
{
    private const int StackChars = 1024;
    private const int NotCopied = -1;

    private readonly FileTable _source;
    private readonly FileTable _copy;
    private readonly NameTokenizer _tokenizer = new();
    private int[] _newIds;
    private int _copiedTo;
    private int _end;

    /// <summary>Starts a compaction of <paramref name="source"/> as it is now (call under the write lock or the read lock).</summary>
    public TableCompaction(FileTable source)
    {
        _source = source;
        _end = source.Count;
        _newIds = new int[Math.Max(_end, 16)];
        _copy = new FileTable(source.LiveCount);
    }

    public FileTable Source => _source;

    /// <summary>The copy being built; <see cref="Finish"/> returns this same table.</summary>
    public FileTable Copy => _copy;

    /// <summary>Bytes of the copy so far (it counts against the memory budget while it is built).</summary>
    public long AllocatedBytes => _copy.AllocatedBytes + (4L * _newIds.Length);

    /// <summary>Whether every entry that existed at the start has been looked at.</summary>
    public bool Copied => _copiedTo >= _end;

    /// <summary>
    /// Copies up to <paramref name="maxEntries"/> more of the entries that existed at the start
    /// (the caller holds the read lock); returns <see cref="Copied"/>.
    /// </summary>
    public bool CopySlice(int maxEntries)
    {
        CopyRange(Math.Min(_end, _copiedTo + maxEntries));
        return Copied;
    }

    /// <summary>Whether entry <paramref name="oldId"/> of the source has been looked at (copied, or left out as dead).</summary>
    public bool WasCopied(int oldId) => oldId < _copiedTo;

    /// <summary>The id entry <paramref name="oldId"/> has in the copy, or -1 when it was dead and left out.</summary>
    public int NewId(int oldId) => _newIds[oldId];

    /// <summary>
    /// Catches up and hands over the copy (the caller holds the write lock): copies the entries
    /// added since the start and kills the copies of entries that died meanwhile.
    /// </summary>
    public FileTable Finish()
    {
        var count = _source.Count;
        if (_newIds.Length < count)
        {
            Array.Resize(ref _newIds, count);
        }

        var copiedBefore = _end;
        _end = count;
        CopyRange(count);
        for (var id = 0; id < copiedBefore; id++)
        {
            var newId = _newIds[id];
            if (newId != NotCopied && !_source[id].IsAlive)
            {
                _copy.Kill(newId);
                _newIds[id] = NotCopied;
            }
        }

        return _copy;
    }

    private void CopyRange(int end)
    {
        char[]? rented = null;
        Span<char> stack = stackalloc char[StackChars];
        try
        {
            for (var id = _copiedTo; id < end; id++)
            {
                ref readonly var record = ref _source[id];
                if (!record.IsAlive)
                {
                    _newIds[id] = NotCopied;
                    continue;
                }

                var utf8 = _source.Name(id);
                _tokenizer.Tokenize(FileTable.Decode(utf8, stack, ref rented));
                _newIds[id] = _copy.Append(utf8, new NameTokens(_tokenizer.Keys, _tokenizer.Chars, _tokenizer.Ends), record.Size, record.Id, record.Peer);
            }

            _copiedTo = Math.Max(_copiedTo, end);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }
}
