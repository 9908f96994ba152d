using System.Buffers.Binary;
using P2PShare.Protocol;

namespace P2PShare.LoadTest.Attacks;

/// <summary>
/// Frames a hostile client sends: REGISTER and ADD full of never-seen names of random CJK
/// characters (every trigram new to the index), and SEARCH queries of many one-letter words.
/// Written straight into byte arrays: the attack must not be limited by the tool's speed.
/// </summary>
internal sealed class HostileFrames(int seed)
{
    /// <summary>CJK characters per name: 340 × 3 bytes = 1,020 bytes, just under the 1,024-byte limit.</summary>
    public const int NameChars = 340;

    private const int EntryBytes = 2 + (NameChars * 3) + 8 + Limits.IdLength;

    private ulong _state = (ulong)seed * 0x9E3779B97F4A7C15UL | 1;

    /// <summary>Entries of one name list that fit in a frame of at most 16 MiB.</summary>
    public static int EntriesPerFrame => (Limits.MaxControlPayload - 6) / EntryBytes;

    /// <summary>A REGISTER (listen port <paramref name="port"/>) or, with null, an ADD of <paramref name="entries"/> random CJK names.</summary>
    public byte[] Registration(ushort? port, int entries)
    {
        var header = port is null ? 4 : 6;
        var payload = header + (entries * EntryBytes);
        var frame = new byte[Limits.FrameHeaderLength + payload];
        frame[0] = (byte)(port is null ? MessageType.Add : MessageType.Register);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload);
        var at = Limits.FrameHeaderLength;
        if (port is { } listen)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at), listen);
            at += 2;
        }

        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(at), (uint)entries);
        at += 4;
        for (var i = 0; i < entries; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at), NameChars * 3);
            at += 2;
            for (var c = 0; c < NameChars; c++)
            {
                // U+4E00..U+9FFF: three UTF-8 bytes, 1110xxxx 10xxxxxx 10xxxxxx.
                var code = 0x4E00 + (int)(Next() % 0x5200);
                frame[at++] = (byte)(0xE0 | (code >> 12));
                frame[at++] = (byte)(0x80 | ((code >> 6) & 0x3F));
                frame[at++] = (byte)(0x80 | (code & 0x3F));
            }

            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(at), Next() >> 20);
            at += 8;
            for (var b = 0; b < Limits.IdLength; b += 8)
            {
                BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(at + b), Next());
            }

            at += Limits.IdLength;
        }

        return frame;
    }

    /// <summary>
    /// A SEARCH of <paramref name="bytes"/> bytes: one-letter words and, last, a rare two-letter
    /// word, all random, so that no two queries are alike and no cache can answer them.
    /// </summary>
    public byte[] PathologicalQuery(int bytes)
    {
        var text = new char[Math.Max(bytes, 2)];
        var words = (text.Length - 2) / 2;
        for (var i = 0; i < words; i++)
        {
            text[2 * i] = (char)('a' + (int)(Next() % 26));
            text[(2 * i) + 1] = ' ';
        }

        text[^2] = (char)('a' + (int)(Next() % 26));
        text[^1] = (char)('q' + (int)(Next() % 10));
        return MessageCodec.EncodeFrame(new SearchMessage(new string(text)));
    }

    private ulong Next()
    {
        // xorshift64*: fast, and good enough to make every name new.
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return _state * 0x2545F4914F6CDD1DUL;
    }
}
