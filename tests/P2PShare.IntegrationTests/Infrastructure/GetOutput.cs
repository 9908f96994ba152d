using System.Globalization;
using System.Text.RegularExpressions;

namespace P2PShare.IntegrationTests.Infrastructure;

/// <summary>One row of the sources table <c>get</c> prints: <c>source | bytes | chunks | speed | status</c>.</summary>
/// <param name="Source">The source as <c>address:port</c>.</param>
/// <param name="BytesText">The bytes cell as printed, e.g. <c>9.1 MiB</c>.</param>
/// <param name="Bytes">The bytes cell read back as a number (as precise as the printed figure).</param>
/// <param name="Chunks">The chunks cell: verified chunks this source sent.</param>
/// <param name="Speed">The speed cell as printed, e.g. <c>4.0 MiB/s</c>.</param>
/// <param name="Status"><c>done</c>, <c>active</c> or <c>dropped: REASON</c>.</param>
public sealed record SourceRow(string Source, string BytesText, double Bytes, int Chunks, string Speed, string Status)
{
    public bool IsDropped => Status.StartsWith("dropped:", StringComparison.Ordinal);
}

/// <summary>Reads what <c>p2pshare get</c> prints on stdout: the sources table, the resume line and the saved line.</summary>
public static partial class GetOutput
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB"];

    /// <summary>
    /// The rows of the sources table. Cells are separated by <c>│</c>; a row whose source cell is
    /// empty continues the row above (a wrapped cell), so wrapped rows are joined back together.
    /// </summary>
    public static IReadOnlyList<SourceRow> Sources(string stdout)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        var rows = new List<string[]>();
        var inTable = false;
        foreach (var line in stdout.Split('\n'))
        {
            var cells = line.Split('│');
            if (cells.Length < 7)
            {
                continue;
            }

            // "│ a │ b │ c │ d │ e │" splits into 7 parts, the first and the last empty.
            var inner = cells[1..^1].Select(c => c.Trim()).ToArray();
            if (inner[0] == "source" && inner[1] == "bytes" && inner[2] == "chunks")
            {
                inTable = true;
                continue;
            }

            if (!inTable)
            {
                continue;
            }

            if (inner[0].Length > 0)
            {
                rows.Add(inner);
            }
            else if (rows.Count > 0)
            {
                var last = rows[^1];
                for (var i = 0; i < last.Length && i < inner.Length; i++)
                {
                    if (inner[i].Length > 0)
                    {
                        last[i] = last[i] + " " + inner[i];
                    }
                }
            }
        }

        return [.. rows.Select(r => new SourceRow(
            r[0],
            r[1],
            ParseBytes(r[1]),
            int.Parse(r[2], NumberStyles.None, CultureInfo.InvariantCulture),
            r[3],
            r[4]))];
    }

    /// <summary>The one row for <paramref name="source"/> (<c>address:port</c>); fails when there is not exactly one.</summary>
    public static SourceRow Row(IReadOnlyList<SourceRow> rows, string source, string description)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var matching = rows.Where(r => r.Source == source).ToList();
        Assert.True(matching.Count == 1, $"expected one row for {source} in the sources table, found {matching.Count}:\n{description}");
        return matching[0];
    }

    /// <summary>The N of <c>resumed: N chunk(s) were already verified in NAME.part</c>, or null when there is no such line.</summary>
    public static int? ResumedChunks(string stdout)
    {
        var match = ResumedLine().Match(stdout);
        return match.Success ? int.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>The <c>saved PATH (SIZE bytes, id HEX, verified, from SOURCES in X s)</c> line; fails when missing.</summary>
    public static Match SavedLine(string stdout, string description)
    {
        var match = SavedPattern().Match(stdout);
        Assert.True(match.Success, $"no 'saved PATH (SIZE bytes, id HEX, verified, from ... in X s)' line:\n{description}");
        return match;
    }

    /// <summary>"9.1 MiB" as a number of bytes (to the precision printed).</summary>
    public static double ParseBytes(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2 || Array.IndexOf(Units, parts[1]) is var unit && unit < 0)
        {
            throw new FormatException($"\"{text}\" is not a size such as \"9.1 MiB\"");
        }

        return double.Parse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture) * Math.Pow(1024, unit);
    }

    [GeneratedRegex(@"^resumed: (?<n>\d+) chunk\(s\) were already verified in .+\.part\s*$", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex ResumedLine();

    [GeneratedRegex(@"^saved (?<path>.+) \((?<size>\d+) bytes, id (?<id>[0-9a-f]{64}), verified, from (?<sources>.+) in (?<seconds>[0-9.]+) s\)\s*$", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex SavedPattern();
}
