using System.Text;
using System.Text.Unicode;

namespace P2PShare.Protocol;

/// <summary>
/// The rules for a shared file's name (PROTOCOL.md, "File names"): a relative path with '/'
/// separators, no empty, '.' or '..' component, no leading '/', no '\', no control characters,
/// at most 1024 UTF-8 bytes. Every name that crosses the wire is checked here, in both directions,
/// so that no name can point outside a shared or downloads folder.
/// </summary>
/// <remarks>
/// The rules are checked once, over UTF-8 bytes (<see cref="ValidateUtf8"/>), without allocating
/// for a valid name; the string overloads encode to the stack and ask the same checker, so a name
/// gets the same verdict and the same reason whether it arrives as bytes or as a string.
/// </remarks>
public static class FileName
{
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

    /// <summary>The name with control characters escaped and cut to a readable length, for error messages and logs.</summary>
    public static string Printable(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        const int MaxShown = 80;
        var builder = new StringBuilder();
        foreach (var c in name)
        {
            if (builder.Length >= MaxShown)
            {
                builder.Append('…');
                break;
            }

            if (char.IsControl(c))
            {
                builder.Append($"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary><see cref="Printable(string)"/> for a name given as UTF-8 bytes (invalid bytes show as U+FFFD).</summary>
    public static string Printable(ReadOnlySpan<byte> utf8) => Printable(Encoding.UTF8.GetString(utf8));

    internal static ProtocolException Refused(string name, string error) =>
        new(ErrorCode.BadRequest, $"bad file name \"{Printable(name)}\": {error}");

    private static string TooLong(int byteCount) => $"file name is {byteCount} bytes long; the limit is {Limits.MaxNameBytes}";

    private static string ControlCharacter(int codePoint) => $"file name contains control character U+{codePoint:X4}";
}
