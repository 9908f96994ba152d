using Spectre.Console;

namespace P2PShare.Cli.Output;

/// <summary>
/// Spectre consoles for stdout and stderr. When a stream is not a terminal, it gets no colours,
/// no live widgets, and a wide fixed width, so table rows are not wrapped for scripts and logs.
/// </summary>
internal static class Terminal
{
    public static IAnsiConsole CreateStdout() => Create(Console.Out, Console.IsOutputRedirected);

    public static IAnsiConsole CreateStderr() => Create(Console.Error, Console.IsErrorRedirected);

    private static IAnsiConsole Create(TextWriter writer, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
        });
        if (redirected)
        {
            console.Profile.Width = 240;
        }

        return console;
    }
}
