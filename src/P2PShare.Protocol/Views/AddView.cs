namespace P2PShare.Protocol;

/// <summary>
/// ADD (type 9) read in place: <c>u32 count, count × file entry</c>. Checked like
/// <see cref="MessageCodec.Decode"/> checks it; allocates nothing when valid; lives as long as the payload.
/// </summary>
public readonly ref struct AddView
{
    private readonly ReadOnlySpan<byte> _entries;

    private AddView(ReadOnlySpan<byte> entries, int count)
    {
        _entries = entries;
        Count = count;
    }

    /// <summary>Number of file entries.</summary>
    public int Count { get; }

    public FileEntryEnumerator Files => new(_entries, Count);

    public static AddView Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "ADD");
        var count = reader.ReadCount("file", Limits.MinFileEntryLength);
        var start = reader.Position;
        FileEntryEnumerator.Skip(ref reader, count);
        reader.EnsureEnd();
        return new AddView(reader.Since(start), count);
    }

    public AddMessage ToMessage() => new(Files.ToList());
}
