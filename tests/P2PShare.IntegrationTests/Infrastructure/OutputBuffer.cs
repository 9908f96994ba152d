using System.Text;
using System.Text.RegularExpressions;

namespace P2PShare.IntegrationTests.Infrastructure;

/// <summary>A match of a pattern in one line of an <see cref="OutputBuffer"/>.</summary>
/// <param name="Match">The regular expression match, within <paramref name="Line"/>.</param>
/// <param name="Line">The whole line (or the part of it after the search position).</param>
/// <param name="End">Position in the buffer just after the match.</param>
public sealed record OutputMatch(Match Match, string Line, int End);

/// <summary>
/// Text a process writes to one of its streams, collected as it arrives and safe to read from
/// any thread. Positions are character offsets into everything written so far, so a reader can
/// keep a cursor and look only at what came after it. The last line is visible before its newline
/// arrives, so prompts such as <c>&gt; </c> can be waited for.
/// </summary>
public sealed class OutputBuffer
{
    private readonly Lock _lock = new();
    private readonly StringBuilder _text = new();
    private TaskCompletionSource _changed = NewSignal();
    private bool _completed;

    /// <summary>Number of characters collected so far.</summary>
    public int Length
    {
        get
        {
            lock (_lock)
            {
                return _text.Length;
            }
        }
    }

    /// <summary>True once the stream reached its end.</summary>
    public bool IsCompleted
    {
        get
        {
            lock (_lock)
            {
                return _completed;
            }
        }
    }

    public void Append(ReadOnlySpan<char> chunk)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            foreach (var c in chunk)
            {
                // Terminals and some writers end lines with \r\n; lines here end with \n only.
                if (c != '\r')
                {
                    _text.Append(c);
                }
            }

            changed = _changed;
            _changed = NewSignal();
        }

        changed.TrySetResult();
    }

    public void Complete()
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _completed = true;
            changed = _changed;
        }

        changed.TrySetResult();
    }

    /// <summary>Everything collected so far.</summary>
    public override string ToString()
    {
        lock (_lock)
        {
            return _text.ToString();
        }
    }

    /// <summary>Everything collected from <paramref name="position"/> on.</summary>
    public string TextFrom(int position)
    {
        lock (_lock)
        {
            position = Math.Clamp(position, 0, _text.Length);
            return _text.ToString(position, _text.Length - position);
        }
    }

    /// <summary>Complete and partial lines from <paramref name="position"/> on.</summary>
    public IReadOnlyList<string> LinesFrom(int position = 0) => TextFrom(position).Split('\n');

    /// <summary>The first line at or after <paramref name="position"/> in which <paramref name="pattern"/> matches, or null.</summary>
    public OutputMatch? Find(Regex pattern, int position = 0)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        string text;
        lock (_lock)
        {
            position = Math.Clamp(position, 0, _text.Length);
            text = _text.ToString(position, _text.Length - position);
        }

        var lineStart = 0;
        while (lineStart <= text.Length)
        {
            var newline = text.IndexOf('\n', lineStart);
            var lineEnd = newline < 0 ? text.Length : newline;
            var line = text[lineStart..lineEnd];
            var match = pattern.Match(line);
            if (match.Success)
            {
                return new OutputMatch(match, line, position + lineStart + match.Index + match.Length);
            }

            if (newline < 0)
            {
                break;
            }

            lineStart = newline + 1;
        }

        return null;
    }

    /// <summary>Number of lines at or after <paramref name="position"/> in which <paramref name="pattern"/> matches.</summary>
    public int Count(Regex pattern, int position = 0)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        return LinesFrom(position).Count(pattern.IsMatch);
    }

    /// <summary>
    /// Waits until a line at or after <paramref name="position"/> matches; null when
    /// <paramref name="timeout"/> passes or the stream ends first.
    /// </summary>
    public async Task<OutputMatch?> WaitForAsync(Regex pattern, int position, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            Task changed;
            bool completed;
            lock (_lock)
            {
                changed = _changed.Task;
                completed = _completed;
            }

            if (Find(pattern, position) is { } found)
            {
                return found;
            }

            if (completed)
            {
                return null;
            }

            try
            {
                await changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return Find(pattern, position);
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
