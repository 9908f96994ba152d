using System.Diagnostics;
using System.Globalization;

namespace P2PShare.IntegrationTests.Infrastructure;

/// <summary>Signals and memory figures of processes, the Linux way.</summary>
public static class ProcessTools
{
    /// <summary>Runs <c>kill -SIGNAL pid</c> and fails when <c>kill</c> does.</summary>
    public static async Task SignalAsync(int pid, string signal)
    {
        var info = new ProcessStartInfo("kill")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add("-" + signal);
        info.ArgumentList.Add(pid.ToString(CultureInfo.InvariantCulture));
        using var kill = Process.Start(info) ?? throw new InvalidOperationException("could not start kill");
        var stderr = kill.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await kill.WaitForExitAsync(deadline.Token);
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {pid} failed with exit code {kill.ExitCode}: {await stderr}");
        }
    }

    /// <summary>Resident set size of a process in bytes (VmRSS of /proc/PID/status).</summary>
    public static long ReadResidentBytes(int pid) => ReadStatusBytes(pid, "VmRSS:");

    /// <summary>The largest resident set size a process has had, in bytes (VmHWM of /proc/PID/status).</summary>
    public static long ReadPeakResidentBytes(int pid) => ReadStatusBytes(pid, "VmHWM:");

    private static long ReadStatusBytes(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                // "VmRSS:	   51234 kB"
                var fields = line[field.Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                var kilobytes = long.Parse(fields[0], CultureInfo.InvariantCulture);
                return kilobytes * 1024;
            }
        }

        throw new InvalidOperationException($"/proc/{pid}/status has no {field} line");
    }
}
