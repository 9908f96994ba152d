using System.CommandLine;
using P2PShare.Cli.Output;
using P2PShare.Peer;
using P2PShare.Protocol;
using Spectre.Console;

namespace P2PShare.Cli.Commands;

/// <summary><c>p2pshare search QUERY --server HOST:PORT [--json]</c>: one search, as a table or JSON.</summary>
internal static class SearchCommand
{
    public static Command Create()
    {
        var query = new Argument<string>("QUERY") { Description = "Words that must all occur in a file's name (case-insensitive)" };
        var server = CommonOptions.Server();
        var json = new Option<bool>("--json") { Description = "Print the results as JSON" };
        var command = new Command("search", "Search the directory for files") { query, server, json };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(query)!, parse.GetValue(server)!, parse.GetValue(json), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string query, HostPort server, bool json, CancellationToken cancellationToken)
    {
        IReadOnlyList<PeerFiles> results;
        try
        {
            var directory = await DirectoryConnection.ConnectAsync(server, TimeSpan.FromSeconds(10), cancellationToken);
            await using (directory)
            {
                results = await directory.SearchAsync(query, cancellationToken);
            }
        }
        catch (DirectoryException ex)
        {
            await Console.Error.WriteLineAsync($"p2pshare search: {ex.Message}");
            return 1;
        }

        if (json)
        {
            Console.WriteLine(SearchJson.Write(results));
            return 0;
        }

        var console = Terminal.CreateStdout();
        var rows = Tables.Rows(results);
        if (rows.Count == 0)
        {
            console.WriteLine($"no file matches \"{query}\"");
            return 0;
        }

        console.Write(Tables.SearchResults(rows));
        console.WriteLine($"{rows.Count} file(s) on {results.Count} peer(s)");
        return 0;
    }
}
