using System.Net;
using System.Text;
using CsCheck;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary>
/// CsCheck generators of protocol values: file names within the rules of PROTOCOL.md 6 (short
/// paths and names of 1021-1024 bytes), sizes and ids over their whole range, addresses of both
/// families, counts from none to the RESULTS limit, and every message; and mutations of encoded
/// payloads, which reach deeper into a decoder than random bytes do.
/// </summary>
internal static class MessageGenerators
{
    /// <summary>What names are made of: ASCII, Latin, Greek, Cyrillic, CJK, and characters outside the BMP (4 UTF-8 bytes, a surrogate pair in .NET).</summary>
    private static readonly string[] NameCharacters =
    [
        "a", "b", "Z", "0", "9", " ", ".", "-", "_", "(", ")", "~", "+", ",", "'", "#", "%", "&",
        "é", "ß", "ü", "Ω", "ж", "€", "♫", "日", "本", "語", "ファ", "😀", "𝄞",
    ];

    /// <summary>What a query or an ERROR text may hold besides names: anything valid, separators and controls included.</summary>
    private static readonly string[] TextCharacters = [.. NameCharacters, "/", "\\", "\t", "\n", "\0", "\u0085", "\u200b", "\ufeff"];

    public static readonly Gen<string> NameComponent =
        Gen.OneOf(NameCharacters).Array[1, 12].Select(parts => string.Concat(parts)).Select(c => c is "." or ".." ? c + "_" : c);

    /// <summary>A name of 1021 to 1024 UTF-8 bytes: one character repeated, padded with 'a'.</summary>
    public static readonly Gen<string> LongName =
        from character in Gen.OneOf(NameCharacters)
        from cut in Gen.Int[0, 3]
        select LongNameOf(character, Limits.MaxNameBytes - cut);

    public static readonly Gen<string> Name = Gen.Frequency(
        (8, NameComponent.Array[1, 4].Select(components => string.Join('/', components))),
        (1, LongName));

    public static readonly Gen<ulong> Size = Gen.Frequency(
        (4, Gen.ULong[0, 1UL << 40]),
        (2, Gen.ULong),
        (1, Gen.OneOf<ulong>(0UL, 1UL, Limits.ChunkSize, Limits.ChunkSize + 1UL, 1UL << 62, (ulong)long.MaxValue + 5, ulong.MaxValue)));

    public static readonly Gen<ContentId> Id = Gen.Frequency(
        (8, Gen.Byte.Array[Limits.IdLength].Select(bytes => new ContentId(bytes))),
        (1, Gen.Const(ContentId.Zero)));

    public static readonly Gen<ContentId> NonZeroId = Gen.Byte.Array[Limits.IdLength].Where(bytes => bytes.AsSpan().ContainsAnyExcept((byte)0)).Select(bytes => new ContentId(bytes));

    /// <summary>A SOURCES <c>held</c>: small counts, and now and then the whole-file marker.</summary>
    public static readonly Gen<uint> HeldCount = Gen.Frequency((4, Gen.UInt[0, 2000]), (1, Gen.Const(HeldSource.WholeFile)), (1, Gen.UInt));

    /// <summary>A valid HOLD item: a non-zero id, a size of at least a byte, held within its chunk count.</summary>
    public static readonly Gen<HoldItem> HoldItemGen =
        from id in NonZeroId
        from size in Size.Where(size => size > 0)
        from held in Gen.Long[0, Math.Min(HashListMessage.ChunkCount(size), uint.MaxValue - 1)]
        select new HoldItem(id, size, (uint)held);

    public static readonly Gen<FileEntry> Entry = Gen.Select(Name, Size, Id, (name, size, id) => new FileEntry(name, size, id));

    /// <summary>A few entries, now and then close to the 1000 of a full RESULTS.</summary>
    public static readonly Gen<FileEntry[]> Entries = Gen.Frequency(
        (12, Entry.Array[0, 8]),
        (1, Entry.Array[990, 1000]));

    public static readonly Gen<IPAddress> Address = Gen.Frequency(
        (1, Gen.Byte.Array[4].Select(bytes => new IPAddress(bytes))),
        (1, Gen.Byte.Array[16].Select(bytes => new IPAddress(bytes)).Where(address => !address.IsIPv4MappedToIPv6)));

    public static readonly Gen<string> Text = Gen.Frequency(
        (12, Gen.OneOf(TextCharacters).Array[0, 40].Select(parts => string.Concat(parts))),
        // Close to the 65,535 bytes a string can hold.
        (1, Gen.Int[65_000, 65_535].Select(length => new string('q', length))));

    public static readonly Gen<Message> DirectoryMessage = Gen.OneOf<Message>(
        Gen.Select(Gen.UShort[1, ushort.MaxValue], Entries, (port, files) => (Message)new RegisterMessage(port, files)),
        Text.Select(query => (Message)new SearchMessage(query)),
        Gen.Select(Address, Gen.UShort, Entries, (address, port, files) => new PeerFiles(address, port, files)).Array[0, 6]
            .Select(peers => (Message)new ResultsMessage(peers)),
        Gen.UInt.Select(count => (Message)new OkMessage(count)),
        Entries.Select(files => (Message)new AddMessage(files)),
        Name.Array[0, 8].Select(names => (Message)new RemoveMessage(names)),
        NonZeroId.Select(id => (Message)new LocateMessage(id)),
        Gen.Select(Id, Gen.Select(Address, Gen.UShort, Size, HeldCount, (address, port, size, held) => new HeldSource(address, port, size, held)).Array[0, 8],
            (id, sources) => (Message)new SourcesMessage(id, sources)),
        HoldItemGen.Array[0, 8].Select(items => (Message)new HoldMessage(items)),
        ErrorMessage(),
        Gen.OneOf<Message>(PingMessage.Instance, PongMessage.Instance));

    public static readonly Gen<Message> PeerMessage = Gen.OneOf<Message>(
        Gen.Frequency(
            (1, Name.Select(name => new GetMessage(name))),
            (3, Gen.Select(Name, Gen.ULong, Gen.ULong, Id, (name, offset, length, id) => new GetMessage(name, offset, length, id))))
            .Select(get => (Message)get),
        Gen.Select(Gen.ULong, Gen.ULong, (offset, length) => (Message)new DataMessage(offset, length)),
        Id.Select(id => (Message)new HashesMessage(id)),
        Id.Select(id => (Message)new ChunksMessage(id)),
        Gen.Int[0, 70].SelectMany(count => Gen.Bool.Array[count].Select(has => (Message)ChunkMap(has))),
        Gen.Frequency((12, Gen.Int[0, 40]), (1, Gen.Int[4000, 5000]))
            .SelectMany(count => Gen.Byte.Array[count * Limits.IdLength])
            .Select(digests => (Message)new HashListMessage(Limits.ChunkSize, digests)),
        ErrorMessage(),
        Gen.OneOf<Message>(PingMessage.Instance, PongMessage.Instance));

    /// <summary>Any message with the channel it travels on.</summary>
    public static readonly Gen<(Message Message, Channel Channel)> MessageOnChannel = Gen.OneOf(
        DirectoryMessage.Select(m => (m, Channel.Directory)),
        PeerMessage.Select(m => (m, Channel.Peer)));

    /// <summary>One change to some bytes: (kind, where, value).</summary>
    public static readonly Gen<(int Kind, int Position, byte Value)> Mutation =
        Gen.Select(Gen.Int[0, 5], Gen.Int[0, int.MaxValue], Gen.Frequency((1, Gen.Byte), (1, Gen.Byte[0, 16])));

    /// <summary>A payload of a message of that type, changed in 1-4 places, or random bytes: (type, channel, payload).</summary>
    public static readonly Gen<(byte Type, Channel Channel, byte[] Payload)> AnyPayload = Gen.Frequency(
        (4, from sample in MessageOnChannel
            from mutations in Mutation.Array[1, 4]
            select ((byte)sample.Message.Type, sample.Channel, Mutate(MessageCodec.EncodeFrame(sample.Message)[Limits.FrameHeaderLength..], mutations))),
        (1, Gen.Select(Gen.Frequency((12, Gen.Byte[1, Limits.MaxMessageType]), (1, Gen.Byte)), Gen.Bool, Gen.Byte.Array[0, 120],
            (type, peer, payload) => (type, peer ? Channel.Peer : Channel.Directory, payload))));

    /// <summary>
    /// Applies changes the way a broken or hostile sender would: a byte set to any value, bytes
    /// inserted or deleted, the end cut off, a 16- or 32-bit field set to a boundary value.
    /// </summary>
    public static byte[] Mutate(byte[] bytes, IEnumerable<(int Kind, int Position, byte Value)> mutations)
    {
        var result = bytes.ToList();
        foreach (var (kind, position, value) in mutations)
        {
            var at = result.Count == 0 ? 0 : position % result.Count;
            switch (kind)
            {
                case 0 when result.Count > 0:
                    result[at] = value;
                    break;
                case 1:
                    result.InsertRange(at, Enumerable.Repeat(value, 1 + (value % 4)));
                    break;
                case 2 when result.Count > 0:
                    result.RemoveRange(at, Math.Min(1 + (value % 8), result.Count - at));
                    break;
                case 3:
                    result.RemoveRange(at, result.Count - at);
                    break;
                case 4 when result.Count >= at + 4:
                    // A count or a length: none, the most, or one past what fits.
                    var boundary = (value % 3) switch { 0 => 0u, 1 => uint.MaxValue, _ => (uint)(result.Count - at) };
                    for (var i = 0; i < 4; i++)
                    {
                        result[at + i] = (byte)(boundary >> (24 - (8 * i)));
                    }

                    break;
                case 5 when result.Count >= at + 2:
                    result[at] = (value & 1) == 0 ? (byte)0xff : (byte)0;
                    result[at + 1] = (value & 2) == 0 ? (byte)0xff : (byte)0;
                    break;
            }
        }

        return [.. result];
    }

    private static ChunkMapMessage ChunkMap(bool[] has)
    {
        var bitmap = new byte[ChunkBitmap.ByteLength(has.Length)];
        var fetching = new byte[bitmap.Length];
        for (var c = 0; c < has.Length; c++)
        {
            if (has[c])
            {
                ChunkBitmap.Set(bitmap, c);
            }
            else if (c % 3 == 0)
            {
                // Some of the chunks not held are being fetched.
                ChunkBitmap.Set(fetching, c);
            }
        }

        return new ChunkMapMessage(has.Length, bitmap, fetching);
    }

    private static Gen<Message> ErrorMessage() =>
        Gen.Select(Gen.UShort, Text, (code, text) => (Message)new ErrorMessage((ErrorCode)code, text));

    private static string LongNameOf(string character, int bytes)
    {
        var length = Encoding.UTF8.GetByteCount(character);
        var name = string.Concat(Enumerable.Repeat(character, bytes / length));
        return name + new string('a', bytes - (bytes / length * length));
    }
}
