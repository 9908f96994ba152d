using System.Text;

namespace P2PShare.Protocol;

/// <summary>
/// The rules for a shared file's name (PROTOCOL.md, "File names"): a relative path with '/'
/// separators, no empty, '.' or '..' component, no leading '/', no '\', no control characters,
/// at most 1024 UTF-8 bytes. Every name that crosses the wire is checked here, in both directions,
/// so that no name can point outside a shared or downloads folder.
/// </summary>
public static class FileName
{
    /// <summary>Returns null when <paramref name="name"/> is valid, otherwise why it is not.</summary>
    public static string? Validate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            return "file name is empty";
        }

        var byteCount = Encoding.UTF8.GetByteCount(name);
        if (byteCount > Limits.MaxNameBytes)
        {
            return $"file name is {byteCount} bytes long; the limit is {Limits.MaxNameBytes}";
        }

        if (name[0] == '/')
        {
            return "file name must be relative (it starts with '/')";
        }

        foreach (var c in name)
        {
            if (c == '\\')
            {
                return "file name contains '\\'; the separator is '/'";
            }

            if (char.IsControl(c))
            {
                return $"file name contains control character U+{(int)c:X4}";
            }
        }

        foreach (var component in name.Split('/'))
        {
            switch (component)
            {
                case "":
                    return "file name has an empty path component";
                case ".":
                case "..":
                    return $"file name has a '{component}' path component";
            }
        }

        return null;
    }

    public static bool IsValid(string name) => Validate(name) is null;

    /// <summary>Throws <see cref="ProtocolException"/> (bad request) for an invalid name.</summary>
    public static void EnsureValid(string name)
    {
        var error = Validate(name);
        if (error is not null)
        {
            throw new ProtocolException(ErrorCode.BadRequest, $"bad file name \"{Printable(name)}\": {error}");
        }
    }

    /// <summary>The name with control characters escaped and cut to a readable length, for error messages and logs.</summary>
    public static string Printable(string name)
    {
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
}
