namespace P2PShare.Directory.Search;

/// <summary>
/// Compares entry ids of one <see cref="FileTable"/> by their names' UTF-8 bytes, so that a
/// peer's set of entry ids doubles as its name → entry map without a string per entry. Names
/// not in the table yet are looked up as UTF-8 spans through the set's alternate lookup.
/// </summary>
internal sealed class EntryNameComparer(FileTable table) : IEqualityComparer<int>, IAlternateEqualityComparer<ReadOnlySpan<byte>, int>
{
    public bool Equals(int x, int y) => x == y || table.Name(x).SequenceEqual(table.Name(y));

    public int GetHashCode(int obj) => Hash(table.Name(obj));

    public bool Equals(ReadOnlySpan<byte> alternate, int other) => alternate.SequenceEqual(table.Name(other));

    public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);

    /// <summary>Not used: entries are added to the table first and to the set by id.</summary>
    public int Create(ReadOnlySpan<byte> alternate) => throw new NotSupportedException("add the entry to the file table first");

    private static int Hash(ReadOnlySpan<byte> name)
    {
        var hash = default(HashCode);
        hash.AddBytes(name);
        return hash.ToHashCode();
    }
}
