using P2PShare.Peer;
using P2PShare.Protocol;
using Spectre.Console;

namespace P2PShare.Cli.Output;

/// <summary>The tables the verbs and the menu print.</summary>
internal static class Tables
{
    /// <summary>One row of a search result: which peer has which file. Rows are numbered from 1.</summary>
    public sealed record ResultRow(int Number, string Peer, FileEntry File);

    public static IReadOnlyList<ResultRow> Rows(IReadOnlyList<PeerFiles> results)
    {
        var rows = new List<ResultRow>();
        foreach (var peer in results)
        {
            foreach (var file in peer.Files)
            {
                rows.Add(new ResultRow(rows.Count + 1, HostPort.FormatEndPoint(peer.Address, peer.Port), file));
            }
        }

        return rows;
    }

    public static Table SearchResults(IReadOnlyList<ResultRow> rows)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("#").AddColumn("name").AddColumn(new TableColumn("size").RightAligned()).AddColumn("peer").AddColumn("id");
        foreach (var row in rows)
        {
            table.AddRow(
                Cell(row.Number.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                Cell(row.File.Name),
                Cell(Format.Bytes(row.File.Size)),
                Cell(row.Peer),
                Cell(row.File.Id.ToString()[..16] + "…"));
        }

        return table;
    }

    public static Table Transfers(IReadOnlyList<Transfer> transfers)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("#").AddColumn("dir").AddColumn("peer").AddColumn("file")
            .AddColumn(new TableColumn("bytes").RightAligned()).AddColumn(new TableColumn("speed").RightAligned())
            .AddColumn("progress").AddColumn("state");
        foreach (var transfer in transfers)
        {
            var state = Format.State(transfer.State);
            if (transfer.Error is { } error)
            {
                state += ": " + error;
            }

            table.AddRow(
                Cell(transfer.Number.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                Cell(transfer.Direction == TransferDirection.Upload ? "up" : "down"),
                Cell(transfer.Peer),
                Cell(transfer.FileName),
                Cell($"{Format.Bytes(transfer.BytesDone)} / {Format.Bytes(transfer.TotalBytes)}"),
                Cell(Format.Speed(transfer.BytesPerSecond)),
                Cell(Format.Bar(transfer.Progress)),
                Cell(state));
            if (transfer.Direction == TransferDirection.Download)
            {
                // A download's sources, one line each, under it: who is sending (a whole file or
                // part of one) and its share of the bytes, and who was dropped and why.
                var sources = transfer.Sources;
                var received = sources.Sum(s => s.BytesReceived);
                foreach (var source in sources)
                {
                    table.AddRow(
                        Cell(string.Empty),
                        Cell(string.Empty),
                        Cell("  <- " + source.Source),
                        Cell(Kind(source)),
                        Cell(Format.Bytes(source.BytesReceived)),
                        Cell(Format.Speed(source.BytesPerSecond)),
                        Cell(Share(source, received)),
                        Cell(source.DroppedReason is { } reason ? "dropped: " + reason : source.IsActive ? "sending" : "done"));
                }
            }
        }

        return table;
    }

    /// <summary>What each source of a download sent (and its share of all), whether it held the whole file or part of it, and why a source was dropped.</summary>
    public static Table Sources(IReadOnlyList<SourceProgress> sources)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("source").AddColumn(new TableColumn("bytes").RightAligned()).AddColumn(new TableColumn("chunks").RightAligned())
            .AddColumn(new TableColumn("speed").RightAligned()).AddColumn("status").AddColumn("holds").AddColumn(new TableColumn("share").RightAligned());
        var received = sources.Sum(s => s.BytesReceived);
        foreach (var source in sources)
        {
            table.AddRow(
                Cell(source.Source),
                Cell(Format.Bytes(source.BytesReceived)),
                Cell(source.ChunksReceived.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                Cell(Format.Speed(source.BytesPerSecond)),
                Cell(source.DroppedReason is { } reason ? "dropped: " + reason : source.IsActive ? "active" : "done"),
                Cell(Kind(source)),
                Cell(Share(source, received)));
        }

        return table;
    }

    /// <summary>The files a peer serves; <paramref name="folderOf"/> names the folder each comes from ("shared" or "downloads").</summary>
    public static Table SharedFiles(IReadOnlyList<SharedFile> files, Func<SharedFile, string> folderOf)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("name").AddColumn(new TableColumn("size").RightAligned()).AddColumn("folder").AddColumn("id");
        foreach (var file in files)
        {
            table.AddRow(Cell(file.Name), Cell(Format.Bytes(file.Size)), Cell(folderOf(file)), Cell(file.Id.ToString()));
        }

        return table;
    }

    /// <summary>"whole file", or "partial" with the chunks it held at its latest map.</summary>
    private static string Kind(SourceProgress source) =>
        !source.IsPartial ? "whole file" : source.HeldChunks is { Of: > 0 } held ? $"partial {held.Held}/{held.Of}" : "partial";

    /// <summary>A source's share of the bytes all sources of the download sent, in percent.</summary>
    private static string Share(SourceProgress source, long received) =>
        received == 0 ? "-" : (100.0 * source.BytesReceived / received).ToString("0'%'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Plain text: names and bars such as "[###---]" must never be read as markup.</summary>
    private static Text Cell(string text) => new(text);
}
