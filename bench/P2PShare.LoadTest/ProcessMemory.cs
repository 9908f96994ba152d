using System.Globalization;

namespace P2PShare.LoadTest;

/// <summary>Resident memory of a process, from <c>/proc/PID/status</c>, in MiB.</summary>
internal readonly record struct ProcessMemory(double RssMiB, double PeakRssMiB)
{
    /// <summary>VmRSS (now) and VmHWM (the peak so far) of process <paramref name="pid"/>; NaN when unreadable.</summary>
    public static ProcessMemory Read(int pid)
    {
        double rss = double.NaN, peak = double.NaN;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kilobytes(line) / 1024;
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    peak = Kilobytes(line) / 1024;
                }
            }
        }
        catch (IOException)
        {
            // The process is gone: NaN says so.
        }

        return new ProcessMemory(rss, peak);
    }

    /// <summary>"VmRSS:\t  123456 kB" → 123456.</summary>
    private static double Kilobytes(string line)
    {
        var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 2 && double.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : double.NaN;
    }
}
