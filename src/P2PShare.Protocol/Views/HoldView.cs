namespace P2PShare.Protocol;

/// <summary>
/// HOLD (type 15) read in place: <c>u32 count</c> (at most <see cref="Limits.MaxHoldItems"/>),
/// then <c>count × (32-byte id, u64 size, u32 held)</c>. Every item is checked: a non-zero id, a
/// size of at least one byte (an empty file is never held in part), and a <c>held</c> no larger
/// than the content's chunk count and never <see cref="HeldSource.WholeFile"/>. Checked like
/// <see cref="MessageCodec.Decode"/> checks it; allocates nothing when valid; lives as long as the payload.
/// </summary>
public readonly ref struct HoldView
{
    private readonly ReadOnlySpan<byte> _items;

    private HoldView(ReadOnlySpan<byte> items, int count)
    {
        _items = items;
        Count = count;
    }

    public int Count { get; }

    public HoldItemEnumerator Items => new(_items, Count);

    public static HoldView Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "HOLD");
        var count = reader.ReadCount("item", Limits.HoldItemLength);
        if (count > Limits.MaxHoldItems)
        {
            throw reader.Fail($"{count} items, over the limit of {Limits.MaxHoldItems}");
        }

        var start = reader.Position;
        for (var i = 0; i < count; i++)
        {
            var id = reader.ReadId();
            var size = reader.ReadUInt64();
            var held = reader.ReadUInt32();
            if (id.IsZero)
            {
                throw reader.Fail($"item {i} has the zero id, which is no content's id");
            }

            if (size == 0)
            {
                throw reader.Fail($"item {i} ({id}) has size 0: an empty file is never held in part");
            }

            // WholeFile is what SOURCES says of a peer sharing the whole file; a part is never that.
            if (held == HeldSource.WholeFile || held > HashListMessage.ChunkCount(size))
            {
                throw reader.Fail($"item {i} ({id}) holds {held} chunks of a content of {HashListMessage.ChunkCount(size)} chunks ({size} bytes)");
            }
        }

        reader.EnsureEnd();
        return new HoldView(reader.Since(start), count);
    }

    public HoldMessage ToMessage()
    {
        var items = new List<HoldItem>(Count);
        foreach (var item in Items)
        {
            items.Add(item);
        }

        return new HoldMessage(items);
    }
}

/// <summary>Allocation-free enumerator over the items of a <see cref="HoldView"/>.</summary>
public ref struct HoldItemEnumerator
{
    private TrustedReader _reader;
    private int _left;

    internal HoldItemEnumerator(ReadOnlySpan<byte> items, int count)
    {
        _reader = new TrustedReader(items);
        _left = count;
        Count = count;
        Current = default;
    }

    public int Count { get; }

    public HoldItem Current { get; private set; }

    public readonly HoldItemEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_left == 0)
        {
            return false;
        }

        _left--;
        Current = new HoldItem(_reader.ReadId(), _reader.ReadUInt64(), _reader.ReadUInt32());
        return true;
    }
}
