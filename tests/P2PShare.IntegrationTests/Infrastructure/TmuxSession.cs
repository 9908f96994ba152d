using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace P2PShare.IntegrationTests.Infrastructure;

/// <summary>A line of a tmux pane that matched, with its index among the pane's lines.</summary>
public sealed record PaneMatch(int LineIndex, string Line, Match Match);

/// <summary>
/// A command running under a real pseudo-terminal: a detached tmux session on a tmux server of
/// its own (<c>tmux -S</c> with a socket in the temp folder), so tests never meet each other's
/// sessions or a user's. Keys are typed with <c>send-keys</c> and the screen is read with
/// <c>capture-pane</c>. Disposing kills the tmux server, and with it everything that runs in the
/// session, and deletes the socket.
/// </summary>
public sealed class TmuxSession : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);

    private readonly string _tmux;
    private readonly string _socket;

    private TmuxSession(string tmux, string socket, string name)
    {
        _tmux = tmux;
        _socket = socket;
        Name = name;
    }

    public string Name { get; }

    /// <summary>The tmux executable, or a failure that says how to get one.</summary>
    public static string FindTmux()
    {
        foreach (var candidate in new[] { "/usr/bin/tmux", "/usr/local/bin/tmux", "/opt/homebrew/bin/tmux" }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(p => Path.Combine(p, "tmux"))))
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("tmux is not installed: this test drives the interactive menu under a real terminal with tmux (apt-get install tmux).");
    }

    /// <summary>Starts <paramref name="shellCommand"/> in a new detached session of <paramref name="width"/>×<paramref name="height"/> cells.</summary>
    public static async Task<TmuxSession> StartAsync(string shellCommand, string workingDirectory, int width = 200, int height = 50)
    {
        var tmux = FindTmux();
        var id = Guid.NewGuid().ToString("N")[..12];
        var session = new TmuxSession(tmux, Path.Combine(Path.GetTempPath(), $"p2pshare-it-tmux-{id}.sock"), "it" + id);
        // One tmux invocation: the history limit (lines that scrolled off the screen are kept, so a
        // capture from the start of history sees everything) must be set before the pane exists.
        await session.RunAsync(
            "set-option", "-g", "history-limit", "20000", ";",
            "new-session", "-d", "-s", session.Name,
            "-x", width.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-y", height.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-c", workingDirectory, shellCommand);
        return session;
    }

    /// <summary>Quotes one argument for a POSIX shell.</summary>
    public static string ShellQuote(string argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        return "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>Types <paramref name="text"/> literally and presses Enter.</summary>
    public async Task SendLineAsync(string text)
    {
        if (text.Length > 0)
        {
            await RunAsync("send-keys", "-t", Name, "-l", text);
        }

        await RunAsync("send-keys", "-t", Name, "Enter");
    }

    /// <summary>The pane's lines from the start of its history, wrapped lines joined, trailing empty lines removed.</summary>
    public async Task<IReadOnlyList<string>> CaptureAsync()
    {
        var text = await RunAsync("capture-pane", "-p", "-J", "-S", "-", "-t", Name);
        var lines = text.Replace("\r", "", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd()).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }

    /// <summary>The first line at index <paramref name="fromLine"/> or later that matches, polling the pane until <paramref name="timeout"/>.</summary>
    public async Task<PaneMatch> WaitForAsync(string pattern, int fromLine = 0, TimeSpan? timeout = null)
    {
        var regex = new Regex(pattern, RegexOptions.CultureInvariant);
        var limit = timeout ?? TimeSpan.FromSeconds(20);
        var clock = Stopwatch.StartNew();
        IReadOnlyList<string> lines;
        while (true)
        {
            lines = await CaptureAsync();
            for (var i = Math.Max(0, fromLine); i < lines.Count; i++)
            {
                var match = regex.Match(lines[i]);
                if (match.Success)
                {
                    return new PaneMatch(i, lines[i], match);
                }
            }

            if (clock.Elapsed > limit)
            {
                break;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        throw new TimeoutException($"no line of the terminal matched /{pattern}/ (from line {fromLine}) within {limit.TotalSeconds:0.#} s; the screen:\n{Number(lines)}");
    }

    /// <summary>The screen with line numbers, for failure messages.</summary>
    public static string Number(IReadOnlyList<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var builder = new StringBuilder();
        for (var i = 0; i < lines.Count; i++)
        {
            builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"{i,4}| {lines[i]}\n");
        }

        return builder.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync("kill-server");
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // The server already ended with its last session.
        }

        try
        {
            File.Delete(_socket);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left behind in the temp folder; harmless.
        }
    }

    private async Task<string> RunAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo(_tmux)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add("-S");
        info.ArgumentList.Add(_socket);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Remove("TMUX");
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("TERM")))
        {
            info.Environment["TERM"] = "xterm-256color";
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start tmux");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var deadline = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"tmux {string.Join(' ', arguments)} did not finish within {CommandTimeout.TotalSeconds} s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"tmux {string.Join(' ', arguments)} failed with exit code {process.ExitCode}: {await stderr}");
        }

        return await stdout;
    }
}
