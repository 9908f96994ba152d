using System.Runtime.InteropServices;
using System.Text;
using P2PShare.Protocol;

namespace P2PShare.Directory.Search;

/// <summary>
/// The files of one REGISTER or ADD made ready for the <see cref="FileTable"/> before the
/// registry takes its write lock: names as UTF-8 and their trigrams. That is most of the work of
/// indexing a name, and it needs nothing shared, so connections do it in parallel and the lock
/// is held only for the appends. Added one by one, so the registry can check what the request
/// will cost as it goes and stop early. Rented from a small pool and reused, so preparing
/// allocates nothing in the steady state; <see cref="Clear"/> lets go of buffers a huge request
/// made large, so that a pool of them does not keep the largest request ever seen.
/// </summary>
internal sealed class PreparedFiles
{
    private const int KeptNameBytes = 1 << 20;
    private const int KeptTrigrams = 256 * 1024;

    private readonly List<ulong> _trigrams = [];
    private readonly List<Prepared> _files = [];
    private byte[] _names = new byte[16 * 1024];
    private int _namesLength;
    private char[] _chars = new char[1024];

    public int Count => _files.Count;

    /// <summary>Trigrams of all the files together, repeats included.</summary>
    public int TrigramCount => _trigrams.Count;

    /// <summary>Bytes of all the names together.</summary>
    public long NameBytes => _namesLength;

    /// <summary>Adds one file of a request given as objects.</summary>
    /// <exception cref="ArgumentException">The name is longer than a protocol string can be.</exception>
    public void Add(FileEntry file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var nameStart = _namesLength;
        var length = Encoding.UTF8.GetBytes(file.Name, NameRoom(Encoding.UTF8.GetMaxByteCount(file.Name.Length)));
        if (length > ushort.MaxValue)
        {
            throw new ArgumentException($"a file name of {length} bytes is longer than a protocol string can be", nameof(file));
        }

        Add(nameStart, length, file.Name, file.Size, file.Id);
    }

    /// <summary>
    /// Adds one entry of a REGISTER or ADD read in place (its name checked by the view already):
    /// the name is copied as it is, and decoded only into a reused buffer for its trigrams, so
    /// that no string or entry object is made for it.
    /// </summary>
    public void Add(FileEntryView file)
    {
        var name = file.NameUtf8;
        var nameStart = _namesLength;
        name.CopyTo(NameRoom(name.Length));
        if (_chars.Length < name.Length)
        {
            _chars = new char[Math.Max(name.Length, _chars.Length * 2)];
        }

        Add(nameStart, name.Length, _chars.AsSpan(0, Encoding.UTF8.GetChars(name, _chars)), file.Size, file.Id);
    }

    /// <summary>Empties the list for the next request (and shrinks what a huge one made large).</summary>
    public void Clear()
    {
        _trigrams.Clear();
        _files.Clear();
        _namesLength = 0;
        if (_names.Length > KeptNameBytes)
        {
            _names = new byte[16 * 1024];
        }

        if (_trigrams.Capacity > KeptTrigrams)
        {
            _trigrams.Capacity = KeptTrigrams;
        }

        if (_files.Capacity > KeptTrigrams)
        {
            _files.Capacity = KeptTrigrams;
        }
    }

    /// <summary>Room for a name of up to <paramref name="maxBytes"/> at the end of the names buffer.</summary>
    private Span<byte> NameRoom(int maxBytes)
    {
        if (_names.Length - _namesLength < maxBytes)
        {
            Array.Resize(ref _names, Math.Max(_names.Length * 2, _namesLength + maxBytes));
        }

        return _names.AsSpan(_namesLength);
    }

    /// <summary>Records a file whose UTF-8 name was just written at <paramref name="nameStart"/>.</summary>
    private void Add(int nameStart, int nameLength, ReadOnlySpan<char> name, ulong size, ContentId id)
    {
        var firstTrigram = _trigrams.Count;
        Trigrams.Collect(name, _trigrams);
        _files.Add(new Prepared(nameStart, nameLength, firstTrigram, _trigrams.Count - firstTrigram, size, id));
        _namesLength = nameStart + nameLength;
    }

    public ReadOnlySpan<byte> Name(int file) => _names.AsSpan(_files[file].NameStart, _files[file].NameLength);

    public ReadOnlySpan<ulong> TrigramsOf(int file) => CollectionsMarshal.AsSpan(_trigrams).Slice(_files[file].TrigramStart, _files[file].TrigramCount);

    public ulong Size(int file) => _files[file].Size;

    public ContentId Id(int file) => _files[file].Id;

    private readonly record struct Prepared(int NameStart, int NameLength, int TrigramStart, int TrigramCount, ulong Size, ContentId Id);
}
