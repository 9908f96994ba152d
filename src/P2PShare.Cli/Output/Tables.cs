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
                row.Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(row.File.Name),
                Format.Bytes(row.File.Size),
                row.Peer,
                row.File.Id.ToString()[..16] + "…");
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
                transfer.Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
                transfer.Direction == TransferDirection.Upload ? "up" : "down",
                transfer.Peer,
                Markup.Escape(transfer.FileName),
                $"{Format.Bytes(transfer.BytesDone)} / {Format.Bytes(transfer.TotalBytes)}",
                Format.Speed(transfer.BytesPerSecond),
                Format.Bar(transfer.Progress),
                Markup.Escape(state));
        }

        return table;
    }

    public static Table SharedFiles(IReadOnlyList<SharedFile> files)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("name").AddColumn(new TableColumn("size").RightAligned()).AddColumn("id");
        foreach (var file in files)
        {
            table.AddRow(Markup.Escape(file.Name), Format.Bytes(file.Size), file.Id.ToString());
        }

        return table;
    }
}
