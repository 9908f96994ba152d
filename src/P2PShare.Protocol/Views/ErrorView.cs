using System.Text;

namespace P2PShare.Protocol;

/// <summary>
/// ERROR (type 5) read in place: <c>u16 code, string message</c>. Checked like
/// <see cref="MessageCodec.Decode"/> checks it; allocates nothing when valid; lives as long as the payload.
/// </summary>
public readonly ref struct ErrorView
{
    private ErrorView(ErrorCode code, ReadOnlySpan<byte> textUtf8)
    {
        Code = code;
        TextUtf8 = textUtf8;
    }

    /// <summary>The code as sent; it may be one this version does not know.</summary>
    public ErrorCode Code { get; }

    /// <summary>The message as UTF-8, checked to be valid UTF-8.</summary>
    public ReadOnlySpan<byte> TextUtf8 { get; }

    public static ErrorView Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload, "ERROR");
        var code = reader.ReadUInt16();
        var text = reader.ReadUtf8("message");
        reader.EnsureEnd();
        return new ErrorView((ErrorCode)code, text);
    }

    /// <summary>The message as a string (allocates).</summary>
    public string GetText() => Encoding.UTF8.GetString(TextUtf8);

    public ErrorMessage ToMessage() => new(Code, GetText());
}
