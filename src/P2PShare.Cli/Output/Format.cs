using System.Globalization;
using P2PShare.Peer;

namespace P2PShare.Cli.Output;

/// <summary>Human-readable sizes, speeds and progress bars for tables and status lines.</summary>
internal static class Format
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB"];

    public static string Bytes(double bytes)
    {
        var unit = 0;
        while (bytes >= 1024 && unit < Units.Length - 1)
        {
            bytes /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes:0} {Units[unit]}")
            : string.Create(CultureInfo.InvariantCulture, $"{bytes:0.0} {Units[unit]}");
    }

    public static string Speed(double bytesPerSecond) => Bytes(bytesPerSecond) + "/s";

    /// <summary>A text progress bar such as <c>[#####-----]  50%</c>; plain ASCII so it survives pipes and logs.</summary>
    public static string Bar(double fraction, int width = 20)
    {
        var filled = (int)Math.Round(Math.Clamp(fraction, 0, 1) * width);
        return string.Create(CultureInfo.InvariantCulture, $"[{new string('#', filled)}{new string('-', width - filled)}] {fraction * 100,3:0}%");
    }

    public static string State(TransferState state) => state switch
    {
        TransferState.Running => "running",
        TransferState.Completed => "completed",
        TransferState.Failed => "failed",
        TransferState.Cancelled => "cancelled",
        _ => state.ToString(),
    };
}
