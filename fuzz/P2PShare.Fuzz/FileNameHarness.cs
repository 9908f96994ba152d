using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using P2PShare.Protocol;
using static P2PShare.Fuzz.ContractViolationException;

namespace P2PShare.Fuzz;

/// <summary>
/// The file-name checks on any bytes: the byte and string forms give the same verdict and the same
/// reason, refusals are <see cref="ProtocolException"/> with code 1, nothing else is thrown, and the
/// printable form stays short. The same bytes are also read as UTF-16, so strings with lone
/// surrogates (which a local file name can hold) are checked too.
/// </summary>
internal static class FileNameHarness
{
    // Printable shows 80 characters, one of which may be an escape of 6, then an ellipsis.
    private const int MaxPrintableLength = 80 + 6 + 1;

    public static void Run(ReadOnlySpan<byte> input)
    {
        var reason = FileName.ValidateUtf8(input);
        Require(FileName.IsValidUtf8(input) == reason is null, "IsValidUtf8 disagrees with ValidateUtf8");
        var bytes = input.ToArray();
        RequireSameRefusal(reason, () => FileName.EnsureValidUtf8(bytes));
        Require(FileName.Printable(input).Length <= MaxPrintableLength, "printable name too long");

        if (Utf8.IsValid(input))
        {
            var name = Encoding.UTF8.GetString(input);
            Require(FileName.Validate(name) == reason, $"the string form says \"{FileName.Validate(name)}\", the bytes \"{reason}\"");
            Require(FileName.IsValid(name) == reason is null, "IsValid disagrees with Validate");
            RequireSameRefusal(reason, () => FileName.EnsureValid(name));
        }
        else
        {
            Require(reason is not null, "bytes that are not UTF-8 accepted as a name");
        }

        var utf16 = new string(MemoryMarshal.Cast<byte, char>(input[..(input.Length & ~1)]));
        var utf16Reason = FileName.Validate(utf16);
        Require(FileName.Printable(utf16).Length <= MaxPrintableLength, "printable name too long");
        if (utf16Reason is null)
        {
            Require(FileName.IsValidUtf8(Encoding.UTF8.GetBytes(utf16)), "a string accepted whose UTF-8 is refused");
        }
    }

    private static void RequireSameRefusal(string? reason, Action ensure)
    {
        try
        {
            ensure();
        }
        catch (ProtocolException refused)
        {
            Require(reason is not null && refused.Code == ErrorCode.BadRequest && refused.Message.EndsWith(reason, StringComparison.Ordinal), $"refused with \"{refused.Message}\" ({refused.Code}), expected \"{reason}\"");
            return;
        }

        Require(reason is null, $"accepted a name refused for \"{reason}\"");
    }
}
