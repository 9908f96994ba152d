using System.Text;

namespace P2PShare.Protocol;

/// <summary>
/// REMOVE (type 10) read in place: <c>u32 count, count × string name</c>. Checked like
/// <see cref="MessageCodec.Decode"/> checks it; allocates nothing when valid; lives as long as the payload.
/// </summary>
public readonly ref struct RemoveView
{
    private readonly ReadOnlySpan<byte> _names;

    private RemoveView(ReadOnlySpan<byte> names, int count)
    {
        _names = names;
        Count = count;
    }

    /// <summary>Number of names.</summary>
    public int Count { get; }

    /// <summary>The names as UTF-8, each already checked to be a valid file name.</summary>
    public NameEnumerator Names => new(_names, Count);

    public static RemoveView Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "REMOVE");
        var count = reader.ReadCount("name", 2);
        var start = reader.Position;
        for (var i = 0; i < count; i++)
        {
            reader.ReadFileNameUtf8();
        }

        reader.EnsureEnd();
        return new RemoveView(reader.Since(start), count);
    }

    public RemoveMessage ToMessage()
    {
        var names = new List<string>(Count);
        foreach (var name in Names)
        {
            names.Add(Encoding.UTF8.GetString(name));
        }

        return new RemoveMessage(names);
    }
}

/// <summary>Allocation-free enumerator over the checked UTF-8 names of a <see cref="RemoveView"/>.</summary>
public ref struct NameEnumerator
{
    private TrustedReader _reader;
    private int _left;
    private ReadOnlySpan<byte> _current;

    internal NameEnumerator(ReadOnlySpan<byte> names, int count)
    {
        _reader = new TrustedReader(names);
        _left = count;
        Count = count;
        _current = default;
    }

    public int Count { get; }

    public readonly ReadOnlySpan<byte> Current => _current;

    public readonly NameEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_left == 0)
        {
            return false;
        }

        _left--;
        _current = _reader.ReadString();
        return true;
    }
}
