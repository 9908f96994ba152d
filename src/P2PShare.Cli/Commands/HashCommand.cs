using System.CommandLine;
using P2PShare.Protocol;

namespace P2PShare.Cli.Commands;

/// <summary><c>p2pshare hash FILE...</c>: prints each file's content id, like sha256sum.</summary>
internal static class HashCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("FILE") { Description = "Files to hash", Arity = ArgumentArity.OneOrMore };
        var command = new Command("hash", "Print the content id (hex) and name of each file") { files };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(files)!, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string[] files, CancellationToken cancellationToken)
    {
        var exitCode = 0;
        foreach (var file in files)
        {
            if (System.IO.Directory.Exists(file))
            {
                await Console.Error.WriteLineAsync($"p2pshare hash: {file}: is a directory");
                exitCode = 1;
                continue;
            }

            try
            {
                var id = await ContentHasher.ComputeFileAsync(file, cancellationToken);
                Console.WriteLine($"{id}  {file}");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"p2pshare hash: {file}: {ex.Message}");
                exitCode = 1;
            }
        }

        return exitCode;
    }
}
