namespace P2PShare.Protocol;

/// <summary>
/// REGISTER (type 1) read in place: <c>u16 listen port, u32 count, count × file entry</c>.
/// <see cref="Parse"/> checks the whole payload with the rules of <see cref="MessageCodec.Decode"/>
/// (same <see cref="ProtocolException"/> for the same bytes) and allocates nothing when it is valid.
/// The view points into the payload and lives as long as it does.
/// </summary>
public readonly ref struct RegisterView
{
    private readonly ReadOnlySpan<byte> _entries;

    private RegisterView(ushort listenPort, ReadOnlySpan<byte> entries, int count)
    {
        ListenPort = listenPort;
        _entries = entries;
        Count = count;
    }

    public ushort ListenPort { get; }

    /// <summary>Number of file entries.</summary>
    public int Count { get; }

    public FileEntryEnumerator Files => new(_entries, Count);

    public static RegisterView Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "REGISTER");
        var port = reader.ReadUInt16();
        if (port == 0)
        {
            throw reader.Fail("listen port 0 is not a port anyone can connect to");
        }

        var count = reader.ReadCount("file", Limits.MinFileEntryLength);
        var start = reader.Position;
        FileEntryEnumerator.Skip(ref reader, count);
        reader.EnsureEnd();
        return new RegisterView(port, reader.Since(start), count);
    }

    public RegisterMessage ToMessage() => new(ListenPort, Files.ToList());
}
