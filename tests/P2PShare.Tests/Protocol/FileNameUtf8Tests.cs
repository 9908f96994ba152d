using System.Text;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary>A name checked as UTF-8 bytes gets the verdict and the reason it gets as a string.</summary>
public class FileNameUtf8Tests
{
    public static TheoryData<string> AllNames => new(FileNameTests.ValidNames.Concat(FileNameTests.InvalidNames).Concat(FileNameTests.InvisibleFormatNames));

    [Theory]
    [MemberData(nameof(AllNames))]
    public void Bytes_and_string_get_the_same_reason(string name)
    {
        var utf8 = Encoding.UTF8.GetBytes(name);
        Assert.Equal(FileName.Validate(name), FileName.ValidateUtf8(utf8));
        Assert.Equal(FileName.IsValid(name), FileName.IsValidUtf8(utf8));
    }

    [Theory]
    [MemberData(nameof(AllNames))]
    public void EnsureValidUtf8_throws_what_EnsureValid_throws(string name)
    {
        var utf8 = Encoding.UTF8.GetBytes(name);
        var fromString = Record.Exception(() => FileName.EnsureValid(name));
        var fromBytes = Record.Exception(() => FileName.EnsureValidUtf8(utf8));
        Assert.Equal(fromString?.Message, fromBytes?.Message);
        Assert.Equal((fromString as ProtocolException)?.Code, (fromBytes as ProtocolException)?.Code);
    }

    [Theory]
    [InlineData("ff")]
    [InlineData("c2")]
    [InlineData("61 c0 80")]
    [InlineData("ed a0 80")]
    public void Invalid_UTF8_is_not_a_name(string hex)
    {
        Assert.Contains("UTF-8", FileName.ValidateUtf8(Wire.Hex(hex)), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_control_character_and_the_soft_hyphen_are_refused_and_their_neighbours_are_not()
    {
        for (var c = 0; c < 0x200; c++)
        {
            var name = "a" + (char)c + "b";
            var utf8 = Encoding.UTF8.GetBytes(name);
            Assert.Equal(FileName.Validate(name), FileName.ValidateUtf8(utf8));
            Assert.Equal(char.IsControl((char)c) || c == '\\' || c == 0xAD, FileName.ValidateUtf8(utf8) is not null);
        }
    }

    [Fact]
    public void A_lone_surrogate_in_a_string_is_judged_as_its_replacement_character()
    {
        Assert.Null(FileName.Validate("a\uD800b"));
    }
}
