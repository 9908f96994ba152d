using System.Runtime.InteropServices;
using System.Text;
using P2PShare.Protocol;

namespace P2PShare.Directory.Search;

/// <summary>
/// The files of one REGISTER or ADD made ready for the <see cref="FileTable"/> before the
/// registry takes its write lock: names as UTF-8 and their words (see <see cref="NameTokenizer"/>). That is most of the work of
/// indexing a name, and it needs nothing shared, so connections do it in parallel and the lock
/// is held only for the appends. Added one by one, so the registry can check what the request
/// will cost as it goes and stop early. Rented from a small pool and reused, so preparing
/// allocates nothing in the steady state; <see cref="Clear"/> lets go of buffers a huge request
/// made large, so that a pool of them does not keep the largest request ever seen.
/// </summary>
internal sealed class PreparedFiles
{
    private const int KeptNameBytes = 1 << 20;
    private const int KeptWords = 256 * 1024;

    private readonly NameTokenizer _tokenizer = new();
    private readonly List<ulong> _keys = [];
    private readonly List<char> _wordChars = [];
    private readonly List<int> _wordEnds = [];
    private readonly List<Prepared> _files = [];
    private byte[] _names = new byte[16 * 1024];
    private int _namesLength;
    private char[] _chars = new char[1024];

    public int Count => _files.Count;

    /// <summary>Words of all the files together, repeats included.</summary>
    public int WordCount => _keys.Count;

    /// <summary>Characters of all the words together.</summary>
    public long WordChars => _wordChars.Count;

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
    /// the name is copied as it is, and decoded only into a reused buffer for its words, so
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
        _keys.Clear();
        _wordChars.Clear();
        _wordEnds.Clear();
        _files.Clear();
        _namesLength = 0;
        if (_names.Length > KeptNameBytes)
        {
            _names = new byte[16 * 1024];
        }

        if (_keys.Capacity > KeptWords)
        {
            _keys.Capacity = KeptWords;
            _wordEnds.Capacity = KeptWords;
        }

        if (_wordChars.Capacity > KeptNameBytes)
        {
            _wordChars.Capacity = KeptNameBytes;
        }

        if (_files.Capacity > KeptWords)
        {
            _files.Capacity = KeptWords;
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
        _tokenizer.Tokenize(name);
        var firstWord = _keys.Count;
        var firstChar = _wordChars.Count;
        _keys.AddRange(_tokenizer.Keys);
        _wordChars.AddRange(_tokenizer.Chars);
        _wordEnds.AddRange(_tokenizer.Ends); // relative to the file's first word, as NameTokens reads them
        _files.Add(new Prepared(nameStart, nameLength, firstWord, _tokenizer.Count, firstChar, _wordChars.Count - firstChar, size, id));
        _namesLength = nameStart + nameLength;
    }

    public ReadOnlySpan<byte> Name(int file) => _names.AsSpan(_files[file].NameStart, _files[file].NameLength);

    /// <summary>The keys of the words of file number <paramref name="file"/>.</summary>
    public ReadOnlySpan<ulong> KeysOf(int file) => CollectionsMarshal.AsSpan(_keys).Slice(_files[file].WordStart, _files[file].WordCount);

    /// <summary>The words of file number <paramref name="file"/>.</summary>
    public NameTokens WordsOf(int file)
    {
        var prepared = _files[file];
        return new NameTokens(
            CollectionsMarshal.AsSpan(_keys).Slice(prepared.WordStart, prepared.WordCount),
            CollectionsMarshal.AsSpan(_wordChars).Slice(prepared.CharStart, prepared.CharCount),
            CollectionsMarshal.AsSpan(_wordEnds).Slice(prepared.WordStart, prepared.WordCount));
    }

    public ulong Size(int file) => _files[file].Size;

    public ContentId Id(int file) => _files[file].Id;

    private readonly record struct Prepared(int NameStart, int NameLength, int WordStart, int WordCount, int CharStart, int CharCount, ulong Size, ContentId Id);
}
