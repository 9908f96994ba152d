using System.Net;

namespace P2PShare.Protocol;

/// <summary>
/// SOURCES (type 14) read in place: <c>32-byte id, u32 count</c> (at most
/// <see cref="Limits.MaxSources"/>), then per source <c>u8 family (4 or 6), 4 or 16 address
/// bytes, u16 port, u64 size, u32 held</c>, then <c>string name</c> (empty or a valid file
/// name). Checked like <see cref="MessageCodec.Decode"/> checks
/// it; allocates nothing when valid; lives as long as the payload.
/// </summary>
public readonly ref struct SourcesView
{
    private readonly ReadOnlySpan<byte> _sources;

    private SourcesView(ContentId id, ReadOnlySpan<byte> sources, int count, ReadOnlySpan<byte> fileName)
    {
        Id = id;
        _sources = sources;
        Count = count;
        FileNameUtf8 = fileName;
    }

    /// <summary>The id LOCATE asked for.</summary>
    public ContentId Id { get; }

    public int Count { get; }

    public HeldSourceEnumerator Sources => new(_sources, Count);

    /// <summary>The name of the first whole holder listed, UTF-8; empty when none is listed.</summary>
    public ReadOnlySpan<byte> FileNameUtf8 { get; }

    public static SourcesView Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "SOURCES");
        var id = reader.ReadId();
        var count = reader.ReadCount("source", Limits.MinSourceRecordLength);
        if (count > Limits.MaxSources)
        {
            throw reader.Fail($"{count} sources, over the limit of {Limits.MaxSources}");
        }

        var start = reader.Position;
        for (var i = 0; i < count; i++)
        {
            reader.ReadAddress();
            reader.ReadUInt16();
            reader.ReadUInt64();
            reader.ReadUInt32();
        }

        var sources = reader.Since(start);
        var fileName = reader.ReadOptionalFileNameUtf8();
        reader.EnsureEnd();
        return new SourcesView(id, sources, count, fileName);
    }

    public SourcesMessage ToMessage()
    {
        var sources = new List<HeldSource>(Count);
        foreach (var source in Sources)
        {
            sources.Add(new HeldSource(source.GetAddress(), source.Port, source.Size, source.Held));
        }

        return new SourcesMessage(Id, sources, System.Text.Encoding.UTF8.GetString(FileNameUtf8));
    }
}

/// <summary>One source of a <see cref="SourcesView"/>.</summary>
public readonly ref struct HeldSourceView
{
    internal HeldSourceView(ReadOnlySpan<byte> addressBytes, ushort port, ulong size, uint held)
    {
        AddressBytes = addressBytes;
        Port = port;
        Size = size;
        Held = held;
    }

    /// <summary>4 bytes (IPv4) or 16 bytes (IPv6), network order.</summary>
    public ReadOnlySpan<byte> AddressBytes { get; }

    public ushort Port { get; }

    public ulong Size { get; }

    /// <summary>Verified chunks held, or <see cref="HeldSource.WholeFile"/>.</summary>
    public uint Held { get; }

    /// <summary>The address as an <see cref="IPAddress"/> (allocates).</summary>
    public IPAddress GetAddress() => new(AddressBytes);
}

/// <summary>Allocation-free enumerator over the sources of a <see cref="SourcesView"/>.</summary>
public ref struct HeldSourceEnumerator
{
    private TrustedReader _reader;
    private int _left;
    private HeldSourceView _current;

    internal HeldSourceEnumerator(ReadOnlySpan<byte> sources, int count)
    {
        _reader = new TrustedReader(sources);
        _left = count;
        Count = count;
        _current = default;
    }

    public int Count { get; }

    public readonly HeldSourceView Current => _current;

    public readonly HeldSourceEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_left == 0)
        {
            return false;
        }

        _left--;
        var address = _reader.ReadBytes(_reader.ReadByte() == 4 ? 4 : 16);
        _current = new HeldSourceView(address, _reader.ReadUInt16(), _reader.ReadUInt64(), _reader.ReadUInt32());
        return true;
    }
}
