using System.CommandLine;
using P2PShare.Cli.Commands;

namespace P2PShare.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("p2pshare: peer-to-peer file sharing with a directory server")
        {
            ServerCommand.Create(),
            PeerCommand.Create(),
            SearchCommand.Create(),
            GetCommand.Create(),
            HashCommand.Create(),
            DemoCommand.Create(),
        };

        // Signals are handled by each command (see Shutdown), so that a server or peer can
        // finish cleanly and exit 0 on SIGINT/SIGTERM instead of being cut off.
        var configuration = new InvocationConfiguration { ProcessTerminationTimeout = null };
        return await root.Parse(args).InvokeAsync(configuration).ConfigureAwait(false);
    }
}
