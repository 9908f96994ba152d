using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace P2PShare.Protocol;

/// <summary>
/// The rules for a shared file's name (PROTOCOL.md, "File names"): a relative path with '/'
/// separators, no empty, '.' or '..' component, no leading '/', no '\', no control characters,
/// no invisible format characters (bidirectional controls, zero-width characters: a name must look
/// like what it is), at most 1024 UTF-8 bytes. Every name that crosses the wire is checked here, in both directions,
/// so that no name can point outside a shared or downloads folder.
/// </summary>
/// <remarks>
/// The rules are checked once, over UTF-8 bytes (<see cref="ValidateUtf8"/>), without allocating
/// for a valid name; the string overloads encode to the stack and ask the same checker, so a name
/// gets the same verdict and the same reason whether it arrives as bytes or as a string.
/// </remarks>
public static class FileName
{
    /// <summary>The characters of <see cref="IsInvisibleFormat"/>: pairs of first and last code point, sorted.</summary>
    private static readonly int[] InvisibleFormatRanges =
    [
        0x00AD, 0x00AD, // soft hyphen
        0x0600, 0x0605, // Arabic number signs
        0x061C, 0x061C, // Arabic letter mark (bidirectional)
        0x06DD, 0x06DD,
        0x070F, 0x070F,
        0x0890, 0x0891,
        0x08E2, 0x08E2,
        0x180E, 0x180E, // Mongolian vowel separator
        0x200B, 0x200F, // zero width space, non-joiner, joiner; left-to-right and right-to-left marks
        0x2028, 0x202E, // line and paragraph separators; bidirectional embeddings and overrides
        0x2060, 0x2064, // word joiner, invisible operators
        0x2066, 0x206F, // bidirectional isolates; deprecated format characters
        0xFEFF, 0xFEFF, // zero width no-break space (byte order mark)
        0xFFF9, 0xFFFB, // interlinear annotation
        0x110BD, 0x110BD,
        0x110CD, 0x110CD,
        0x13430, 0x1343F, // Egyptian hieroglyph format controls
        0x1BCA0, 0x1BCA3, // shorthand format controls
        0x1D173, 0x1D17A, // musical symbol format controls
        0xE0001, 0xE0001, // language tag
        0xE0020, 0xE007F, // tag characters
    ];

    /// <summary>Returns null when <paramref name="name"/> is valid, otherwise why it is not.</summary>
    public static string? Validate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var byteCount = Encoding.UTF8.GetByteCount(name);
        if (byteCount > Limits.MaxNameBytes)
        {
            return TooLong(byteCount);
        }

        Span<byte> utf8 = stackalloc byte[Limits.MaxNameBytes];
        var written = Encoding.UTF8.GetBytes(name, utf8);
        return ValidateWellFormedUtf8(utf8[..written]);
    }

    /// <summary>
    /// Returns null when the UTF-8 bytes <paramref name="utf8"/> are a valid name, otherwise why
    /// they are not. Allocates nothing for a valid name.
    /// </summary>
    public static string? ValidateUtf8(ReadOnlySpan<byte> utf8) =>
        Utf8.IsValid(utf8) ? ValidateWellFormedUtf8(utf8) : "file name is not valid UTF-8";

    public static bool IsValid(string name) => Validate(name) is null;

    public static bool IsValidUtf8(ReadOnlySpan<byte> utf8) => ValidateUtf8(utf8) is null;

    /// <summary>Throws <see cref="ProtocolException"/> (bad request) for an invalid name.</summary>
    public static void EnsureValid(string name)
    {
        var error = Validate(name);
        if (error is not null)
        {
            throw Refused(name, error);
        }
    }

    /// <summary>Throws <see cref="ProtocolException"/> (bad request) for an invalid name; allocates nothing for a valid one.</summary>
    public static void EnsureValidUtf8(ReadOnlySpan<byte> utf8)
    {
        var error = ValidateUtf8(utf8);
        if (error is not null)
        {
            throw Refused(Encoding.UTF8.GetString(utf8), error);
        }
    }

    /// <summary>
    /// <see cref="ValidateUtf8"/> for bytes already known to be well-formed UTF-8 (the wire reader
    /// checks that first, and gives its own reason when they are not).
    /// </summary>
    internal static string? ValidateWellFormedUtf8(ReadOnlySpan<byte> utf8)
    {
        // The checks run in the order the reasons have always been given in: emptiness, length,
        // leading '/', then the first '\' or control character, then the first bad component.
        if (utf8.IsEmpty)
        {
            return "file name is empty";
        }

        if (utf8.Length > Limits.MaxNameBytes)
        {
            return TooLong(utf8.Length);
        }

        if (utf8[0] == (byte)'/')
        {
            return "file name must be relative (it starts with '/')";
        }

        for (var i = 0; i < utf8.Length; i++)
        {
            var b = utf8[i];
            if (b == (byte)'\\')
            {
                return "file name contains '\\'; the separator is '/'";
            }

            // Control characters: U+0000–U+001F and U+007F are single bytes; U+0080–U+009F are
            // C2 80 – C2 9F. In well-formed UTF-8 a C2 is always followed by its continuation byte.
            if (b < 0x20 || b == 0x7F)
            {
                return ControlCharacter(b);
            }

            if (b == 0xC2 && i + 1 < utf8.Length && utf8[i + 1] <= 0x9F)
            {
                return ControlCharacter(utf8[i + 1]);
            }

            if (b >= 0xC2 && Rune.DecodeFromUtf8(utf8[i..], out var rune, out var length) == OperationStatus.Done)
            {
                if (IsInvisibleFormat(rune.Value))
                {
                    return $"file name contains invisible format character U+{rune.Value:X4} (a bidirectional control, zero-width or other format character)";
                }

                i += length - 1;
            }
        }

        var rest = utf8;
        while (true)
        {
            var slash = rest.IndexOf((byte)'/');
            var component = slash < 0 ? rest : rest[..slash];
            if (component.IsEmpty)
            {
                return "file name has an empty path component";
            }

            if (component[0] == (byte)'.' && (component.Length == 1 || (component.Length == 2 && component[1] == (byte)'.')))
            {
                return $"file name has a '{(component.Length == 1 ? "." : "..")}' path component";
            }

            if (slash < 0)
            {
                return null;
            }

            rest = rest[(slash + 1)..];
        }
    }

    /// <summary>
    /// The name with control and invisible format characters escaped (so that a log line or an
    /// ERROR text shows them rather than being reordered or broken by them) and cut to a readable
    /// length, for error messages and logs.
    /// </summary>
    public static string Printable(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        const int MaxShown = 80;
        var builder = new StringBuilder();
        // By code point, so that a format character outside the BMP (a tag) is escaped too; a lone
        // surrogate counts as U+FFFD, which is shown as it is.
        foreach (var rune in name.EnumerateRunes())
        {
            if (builder.Length >= MaxShown)
            {
                builder.Append('…');
                break;
            }

            if (Rune.IsControl(rune) || IsInvisibleFormat(rune.Value))
            {
                builder.Append(rune.IsBmp ? $"\\u{rune.Value:x4}" : $"\\U{rune.Value:x8}");
            }
            else
            {
                builder.Append(rune.ToString());
            }
        }

        return builder.ToString();
    }

    /// <summary><see cref="Printable(string)"/> for a name given as UTF-8 bytes (invalid bytes show as U+FFFD).</summary>
    public static string Printable(ReadOnlySpan<byte> utf8) => Printable(Encoding.UTF8.GetString(utf8));

    /// <summary>
    /// Whether <paramref name="codePoint"/> is one of the characters a name may not contain because
    /// they are invisible or change how the text around them is shown (PROTOCOL.md section 6, rule
    /// 5): Unicode's format characters (general category Cf, which holds the bidirectional controls
    /// and the zero-width characters) and the line and paragraph separators U+2028 and U+2029.
    /// </summary>
    /// <remarks>
    /// A fixed list rather than the runtime's Unicode tables, so that the verdict on a name is the
    /// protocol's and does not change with the .NET version; a test compares it with the tables.
    /// </remarks>
    public static bool IsInvisibleFormat(int codePoint)
    {
        if (codePoint < InvisibleFormatRanges[0])
        {
            return false;
        }

        // The ranges are sorted and disjoint, stored as first, last, first, last, ...
        var ranges = InvisibleFormatRanges.AsSpan();
        var low = 0;
        var high = (ranges.Length / 2) - 1;
        while (low <= high)
        {
            var middle = (low + high) / 2;
            if (codePoint < ranges[2 * middle])
            {
                high = middle - 1;
            }
            else if (codePoint > ranges[(2 * middle) + 1])
            {
                low = middle + 1;
            }
            else
            {
                return true;
            }
        }

        return false;
    }

    internal static ProtocolException Refused(string name, string error) =>
        new(ErrorCode.BadRequest, $"bad file name \"{Printable(name)}\": {error}");

    private static string TooLong(int byteCount) => $"file name is {byteCount} bytes long; the limit is {Limits.MaxNameBytes}";

    private static string ControlCharacter(int codePoint) => $"file name contains control character U+{codePoint:X4}";
}
