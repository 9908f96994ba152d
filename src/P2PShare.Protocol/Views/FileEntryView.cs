using System.Text;

namespace P2PShare.Protocol;

/// <summary>
/// One file entry of a REGISTER, ADD or RESULTS view (<c>string name, u64 size, 32-byte id</c>),
/// read in place. <see cref="NameUtf8"/> points into the payload: it is valid as long as the
/// payload is (for a frame from <see cref="FrameConnection.ReadFrameAsync"/>, until the next read).
/// </summary>
public readonly ref struct FileEntryView
{
    internal FileEntryView(ReadOnlySpan<byte> nameUtf8, ulong size, ContentId id)
    {
        NameUtf8 = nameUtf8;
        Size = size;
        Id = id;
    }

    /// <summary>The name as UTF-8, already checked to be a valid file name.</summary>
    public ReadOnlySpan<byte> NameUtf8 { get; }

    public ulong Size { get; }

    public ContentId Id { get; }

    /// <summary>The name as a string (allocates).</summary>
    public string GetName() => Encoding.UTF8.GetString(NameUtf8);

    /// <summary>The entry as the class the message records use (allocates).</summary>
    public FileEntry ToFileEntry() => new(GetName(), Size, Id);
}

/// <summary>
/// Allocation-free enumerator over the checked file entries of a view:
/// <c>foreach (var entry in view.Files)</c>.
/// </summary>
public ref struct FileEntryEnumerator
{
    private TrustedReader _reader;
    private int _left;
    private FileEntryView _current;

    internal FileEntryEnumerator(ReadOnlySpan<byte> entries, int count)
    {
        _reader = new TrustedReader(entries);
        _left = count;
        Count = count;
        _current = default;
    }

    /// <summary>Number of entries in all (not only those left).</summary>
    public int Count { get; }

    public readonly FileEntryView Current => _current;

    public readonly FileEntryEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_left == 0)
        {
            return false;
        }

        _left--;
        var name = _reader.ReadString();
        var size = _reader.ReadUInt64();
        var id = _reader.ReadId();
        _current = new FileEntryView(name, size, id);
        return true;
    }

    /// <summary>All the entries as classes (allocates).</summary>
    public readonly List<FileEntry> ToList()
    {
        var list = new List<FileEntry>(Count);
        foreach (var entry in this)
        {
            list.Add(entry.ToFileEntry());
        }

        return list;
    }

    /// <summary>Checks <paramref name="count"/> entries and skips them.</summary>
    internal static void Skip(ref WireReader reader, int count)
    {
        for (var i = 0; i < count; i++)
        {
            reader.SkipFileEntry();
        }
    }
}
