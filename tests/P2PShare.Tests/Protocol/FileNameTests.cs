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

    public static TheoryData<string> Invalid => new(InvalidNames);

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
