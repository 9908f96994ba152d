using System.Globalization;

namespace P2PShare.Cli.Menu;

/// <summary>
/// Row numbers of the last search as the menu's download takes them: numbers and ranges
/// separated by spaces or commas (<c>1 3 5-7</c>, <c>2,4</c>). An answer that is not all
/// numbers and ranges (a range ends above its start) is not a selection, and is taken as a name.
/// </summary>
internal static class RowSelection
{
    /// <summary>Most rows one answer selects (a search answer holds at most 1000 files).</summary>
    private const int MaxRows = 1000;

    /// <summary>
    /// Parses <paramref name="answer"/>; true when it is a selection, with the distinct rows in
    /// the order given, or with <paramref name="problem"/> set when a row is not among
    /// <paramref name="rowCount"/>.
    /// </summary>
    public static bool TryParse(string answer, int rowCount, out List<int> rows, out string? problem)
    {
        rows = [];
        problem = null;
        var tokens = answer.Split([' ', ',', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0)
        {
            return false;
        }

        var ranges = new List<(int First, int Last)>();
        foreach (var token in tokens)
        {
            var dash = token.IndexOf('-', StringComparison.Ordinal);
            if (!TryNumber(dash < 0 ? token : token[..dash], out var first))
            {
                return false;
            }

            var last = first;
            if (dash >= 0 && (!TryNumber(token[(dash + 1)..], out last) || last < first))
            {
                return false;
            }

            ranges.Add((first, last));
        }

        var seen = new HashSet<int>();
        foreach (var (first, last) in ranges)
        {
            if (first < 1 || last > rowCount)
            {
                problem = first == last
                    ? $"no row {first} in the last search ({rowCount} rows)"
                    : $"rows {first}-{last} are not all in the last search ({rowCount} rows)";
                rows.Clear();
                return true;
            }

            for (var row = first; row <= last && rows.Count < MaxRows; row++)
            {
                if (seen.Add(row))
                {
                    rows.Add(row);
                }
            }
        }

        return true;
    }

    private static bool TryNumber(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
