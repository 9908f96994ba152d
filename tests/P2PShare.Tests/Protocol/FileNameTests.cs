using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

public class FileNameTests
{
    /// <summary>1024 UTF-8 bytes: 341 three-byte euro signs and one ASCII letter.</summary>
    private static readonly string Longest3ByteName = string.Concat(Enumerable.Repeat("€", 341)) + "a";

    public static readonly string[] ValidNames =
    [
        "a",
        "a.txt",
        "dir/sub/file.bin",
        ".hidden",
        "..a",
        "a..",
        "...",
        "a/.b/c",
        "name with spaces.txt",
        "ünïcödé/файл.txt",
        "日本語/ファイル.txt",
        "emoji 😀.png",
        "a:b*c?d\"e<f>g|h",
        "~",
        new string('n', 1024),
        string.Concat(Enumerable.Repeat("d/", 511)) + "ab", // 1024 bytes, 512 components
        Longest3ByteName,
        "a\u00ACb", // the neighbours of the soft hyphen
        "a\u00AEb",
        "a\u200Ab", // hair space: visible width, not a format character
        "a\u2027b",
        "a\u202Fb",
        "a\u2065b", // unassigned between the invisible operators and the isolates
        "\u05D0\u05D1.txt", // right-to-left letters are fine; only the controls are not
        "a\uFEFEb",
        "a\uFFF8b",
        "a\U000E0000b",
        "a\U000E0080b",
    ];

    /// <summary>
    /// Names that would show as something else: bidirectional controls that reorder what follows
    /// ("evil\u202Etxt.exe" shows as "evilexe.txt"), zero-width characters that make two different
    /// names look the same, and the other invisible format characters.
    /// </summary>
    public static readonly string[] InvisibleFormatNames =
    [
        "evil\u202Etxt.exe",
        "a\u061Cb",
        "a\u200Eb",
        "a\u200Fb",
        "a\u202Ab",
        "a\u202Bb",
        "a\u202Cb",
        "a\u202Db",
        "a\u2066b",
        "a\u2067b",
        "a\u2068b",
        "a\u2069b",
        "ubuntu\u200B.iso",
        "a\u200Cb",
        "a\u200Db",
        "a\u2060b",
        "\uFEFFbom.txt",
        "soft\u00ADhyphen",
        "line\u2028separator",
        "para\u2029separator",
        "dir\u200B/file",
        "dir/\u2064",
        "tag\U000E0041",
        "lang\U000E0001",
        "\U0001343F",
    ];

    public static readonly string[] InvalidNames =
    [
        "",
        "/abs",
        "/",
        "a/../b",
        "..",
        "../a",
        "a/..",
        "./a",
        ".",
        "a/.",
        "a/./b",
        "a//b",
        "a/",
        "//a",
        "a\\b",
        "\\a",
        "..\\a",
        "a\u0000b",
        "a\nb",
        "a\rb",
        "tab\there",
        "\u001f",
        "a\u007f",
        "a\u0085b",
        "a\u009fb",
        new string('n', 1025),
        Longest3ByteName + "b",
        string.Concat(Enumerable.Repeat("€", 342)),
    ];

    public static TheoryData<string> Valid => new(ValidNames);

    public static TheoryData<string> Invalid => new(InvalidNames.Concat(InvisibleFormatNames));

    public static TheoryData<string> InvisibleFormat => new(InvisibleFormatNames);

    [Theory]
    [MemberData(nameof(Valid))]
    public void Valid_names(string name)
    {
        Assert.Null(FileName.Validate(name));
        Assert.True(FileName.IsValid(name));
        FileName.EnsureValid(name);
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_names(string name)
    {
        var reason = FileName.Validate(name);
        Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.False(FileName.IsValid(name));

        var ex = Assert.Throws<ProtocolException>(() => FileName.EnsureValid(name));
        Assert.Equal(ErrorCode.BadRequest, ex.Code);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_limit_is_counted_in_UTF8_bytes_not_characters()
    {
        Assert.Equal(1024, System.Text.Encoding.UTF8.GetByteCount(Longest3ByteName));
        Assert.Equal(342, Longest3ByteName.Length);
        Assert.True(FileName.IsValid(Longest3ByteName));
        Assert.False(FileName.IsValid(Longest3ByteName + "b"));
        Assert.Equal(Limits.MaxNameBytes, 1024);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("/abs", "relative")]
    [InlineData("a\\b", "'\\'")]
    [InlineData("a\u0001b", "U+0001")]
    [InlineData("a//b", "empty path component")]
    [InlineData("./a", "'.'")]
    [InlineData("a/../b", "'..'")]
    public void The_reason_is_precise(string name, string expected)
    {
        Assert.Contains(expected, FileName.Validate(name), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(InvisibleFormat))]
    public void Bidirectional_controls_and_zero_width_characters_are_refused_by_code_point(string name)
    {
        var reason = FileName.Validate(name);

        Assert.NotNull(reason);
        Assert.Contains("invisible format character U+", reason, StringComparison.Ordinal);
        var codePoint = name.EnumerateRunes().First(r => FileName.IsInvisibleFormat(r.Value)).Value;
        Assert.Contains($"U+{codePoint:X4} ", reason, StringComparison.Ordinal);
    }

    /// <summary>
    /// The protocol's list is Unicode's format characters (Cf) plus the line and paragraph
    /// separators. It is written out so the verdict does not move with the runtime; should a newer
    /// Unicode add format characters, this fails and the list (and PROTOCOL.md) is to be reviewed.
    /// </summary>
    [Fact]
    public void The_invisible_format_list_is_Unicode_category_Cf_and_the_line_and_paragraph_separators()
    {
        for (var codePoint = 0; codePoint <= 0x10FFFF; codePoint++)
        {
            if (codePoint is >= 0xD800 and <= 0xDFFF)
            {
                continue;
            }

            var category = System.Globalization.CharUnicodeInfo.GetUnicodeCategory(codePoint);
            var expected = category is System.Globalization.UnicodeCategory.Format
                or System.Globalization.UnicodeCategory.LineSeparator
                or System.Globalization.UnicodeCategory.ParagraphSeparator;
            Assert.True(expected == FileName.IsInvisibleFormat(codePoint), $"U+{codePoint:X4} ({category})");
        }
    }

    [Fact]
    public void Printable_escapes_invisible_format_characters_so_a_log_line_shows_them()
    {
        Assert.Equal("evil\\u202etxt.exe", FileName.Printable("evil\u202Etxt.exe"));
        Assert.Equal("tag\\U000e0041", FileName.Printable("tag\U000E0041"));
        Assert.Equal("\u05D0.txt", FileName.Printable("\u05D0.txt"));
    }

    [Fact]
    public void Too_long_reason_gives_the_length()
    {
        Assert.Contains("1025", FileName.Validate(new string('x', 1025)), StringComparison.Ordinal);
    }

    [Fact]
    public void Null_is_an_argument_error()
    {
        Assert.Throws<ArgumentNullException>(() => FileName.Validate(null!));
    }

    [Fact]
    public void Printable_escapes_control_characters_and_shortens_long_names()
    {
        Assert.Equal("a\\u0000b\\u001bc", FileName.Printable("a\u0000b\u001bc"));
        Assert.Equal("plain/name.txt", FileName.Printable("plain/name.txt"));

        var shown = FileName.Printable(new string('x', 500));
        Assert.True(shown.Length < 100, shown);
        Assert.EndsWith("…", shown, StringComparison.Ordinal);
    }

    [Fact]
    public void An_error_about_a_bad_name_shows_it_escaped()
    {
        var ex = Assert.Throws<ProtocolException>(() => FileName.EnsureValid("bad\nname"));
        Assert.Contains("bad\\u000aname", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", ex.Message, StringComparison.Ordinal);
    }
}
