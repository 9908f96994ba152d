using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace P2PShare.IntegrationTests.Infrastructure;

/// <summary>What a finished <c>p2pshare</c> command left behind.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr, string Description);

/// <summary>
/// One running <c>dotnet p2pshare.dll ...</c>: stdout and stderr are collected as they arrive,
/// stdin is a pipe the test can write lines to. Waits are bounded and, when they time out, fail
/// with everything the process has written. Disposing kills the whole process tree.
/// </summary>
public sealed class CliProcess : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly Process _process;
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private bool _inputClosed;
    private string? _finalState;

    private CliProcess(string name, Process process, string commandLine)
    {
        Name = name;
        _process = process;
        CommandLine = commandLine;
        Pid = process.Id;
        _stdoutPump = PumpAsync(process.StandardOutput, Stdout);
        _stderrPump = PumpAsync(process.StandardError, Stderr);
    }

    /// <summary>A short name for messages (server, peer1, get, ...).</summary>
    public string Name { get; }

    public string CommandLine { get; }

    /// <summary>The process id of the CLI itself (<c>dotnet app.dll</c> runs the app in the host process).</summary>
    public int Pid { get; }

    public OutputBuffer Stdout { get; } = new();

    public OutputBuffer Stderr { get; } = new();

    /// <summary>Cursor into stdout: <see cref="ExpectAsync(string, TimeSpan?)"/> looks only after it and moves it past each match.</summary>
    public int Position { get; set; }

    public bool HasExited => _finalState is not null || _process.HasExited;

    /// <summary>Time since the process was started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    public static CliProcess Start(string name, IEnumerable<string> arguments, string workingDirectory)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var info = new ProcessStartInfo(TestEnvironment.DotnetHost)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Utf8,
            StandardErrorEncoding = Utf8,
            StandardInputEncoding = Utf8,
        };
        info.ArgumentList.Add(TestEnvironment.CliAssembly);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment.Remove("TMUX");
        var commandLine = "p2pshare " + string.Join(' ', info.ArgumentList.Skip(1).Select(Quote));
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {commandLine}");
        process.StandardInput.AutoFlush = true;
        process.StandardInput.NewLine = "\n";
        return new CliProcess(name, process, commandLine);
    }

    /// <summary>
    /// Waits for a stdout line after <see cref="Position"/> that matches <paramref name="pattern"/>
    /// and moves the cursor just past the match.
    /// </summary>
    public async Task<Match> ExpectAsync(string pattern, TimeSpan? timeout = null)
    {
        var found = await WaitForAsync(Stdout, pattern, Position, timeout);
        Position = found.End;
        return found.Match;
    }

    /// <summary>Waits for a stdout line at or after <paramref name="position"/> that matches; the cursor does not move.</summary>
    public async Task<OutputMatch> WaitForLineAsync(string pattern, int position = 0, TimeSpan? timeout = null) =>
        await WaitForAsync(Stdout, pattern, position, timeout);

    /// <summary>Waits for a stderr line that matches.</summary>
    public async Task<OutputMatch> WaitForErrorLineAsync(string pattern, TimeSpan? timeout = null) =>
        await WaitForAsync(Stderr, pattern, 0, timeout);

    /// <summary>Writes one line to the process's stdin.</summary>
    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line.AsMemory(), TestContext.Current.CancellationToken);
        await _process.StandardInput.FlushAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Closes stdin: the process reads end of file.</summary>
    public void CloseInput()
    {
        if (!_inputClosed)
        {
            _inputClosed = true;
            try
            {
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The process is gone and the pipe with it.
            }
        }
    }

    /// <summary>Waits for the process to exit and its output to be collected; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        using var deadline = new CancellationTokenSource(limit);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException(Describe($"{Name} did not exit within {limit.TotalSeconds:0.#} s"));
        }

        // The pipes close when the process exits; give the pumps a moment to take the last bytes.
        await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        return _process.ExitCode;
    }

    /// <summary>Sends a signal (TERM, INT, KILL, ...) to the process with the <c>kill</c> command.</summary>
    public async Task SignalAsync(string signal) => await ProcessTools.SignalAsync(Pid, signal);

    /// <summary>Kills the process itself with SIGKILL (not its children).</summary>
    public void KillHard() => _process.Kill(entireProcessTree: false);

    /// <summary>Everything known about the process, for failure messages.</summary>
    public string Describe(string problem)
    {
        var builder = new StringBuilder();
        builder.AppendLine(problem);
        builder.AppendLine($"--- {Name} (pid {Pid}): {CommandLine}");
        builder.AppendLine("--- " + (_finalState ?? State()));
        builder.AppendLine("--- stdout:");
        builder.AppendLine(Stdout.ToString());
        builder.AppendLine("--- stderr:");
        builder.AppendLine(Stderr.ToString());
        return builder.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (_finalState is not null)
        {
            return;
        }

        var state = State();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                state = $"killed by the test after {Elapsed.TotalSeconds:0.0} s";
            }

            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            // Already gone, or not killable: nothing more to do.
        }

        CloseInput();
        _finalState = state;
        _process.Dispose();
    }

    private string State() =>
        _process.HasExited ? $"exited with code {_process.ExitCode} after {Elapsed.TotalSeconds:0.0} s" : $"still running after {Elapsed.TotalSeconds:0.0} s";

    private async Task<OutputMatch> WaitForAsync(OutputBuffer buffer, string pattern, int position, TimeSpan? timeout)
    {
        var limit = timeout ?? DefaultTimeout;
        var regex = new Regex(pattern, RegexOptions.CultureInvariant);
        var found = await buffer.WaitForAsync(regex, position, limit, TestContext.Current.CancellationToken);
        if (found is not null)
        {
            return found;
        }

        var why = buffer.IsCompleted
            ? $"{Name} closed its {(buffer == Stdout ? "stdout" : "stderr")} without a line matching /{pattern}/"
            : $"no {(buffer == Stdout ? "stdout" : "stderr")} line of {Name} matched /{pattern}/ within {limit.TotalSeconds:0.#} s";
        if (buffer == Stdout && position > 0)
        {
            why += $" (looking after character {position}: \"{Stdout.TextFrom(position)}\")";
        }

        throw new TimeoutException(Describe(why));
    }

    private static async Task PumpAsync(StreamReader reader, OutputBuffer buffer)
    {
        var chunk = new char[4096];
        try
        {
            int read;
            while ((read = await reader.ReadAsync(chunk.AsMemory(), CancellationToken.None)) > 0)
            {
                buffer.Append(chunk.AsSpan(0, read));
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The pipe broke when the process was killed.
        }
        finally
        {
            buffer.Complete();
        }
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || "-_./:=".Contains(c, StringComparison.Ordinal))
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
