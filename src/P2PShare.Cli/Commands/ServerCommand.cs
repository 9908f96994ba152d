using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Cli.Commands;

/// <summary><c>p2pshare server [--listen ADDR:PORT]</c>: the directory server.</summary>
internal static class ServerCommand
{
    public static Command Create()
    {
        var listen = new Option<HostPort>("--listen")
        {
            Description = "Address and port to listen on (port 0 picks a free one)",
            DefaultValueFactory = _ => new HostPort("0.0.0.0", 3400),
            CustomParser = result => CommonOptions.ParseHostPort(result.Tokens[0].Value, result),
        };
        var logLevel = CommonOptions.LogLevelOption();
        var command = new Command("server", "Run the directory server until SIGINT/SIGTERM") { listen, logLevel };
        command.SetAction((parse, _) => RunAsync(parse.GetValue(listen)!, parse.GetValue(logLevel) ?? LogLevel.Information));
        return command;
    }

    private static async Task<int> RunAsync(HostPort listen, LogLevel logLevel)
    {
        if (!IPAddress.TryParse(listen.Host, out var address))
        {
            await Console.Error.WriteLineAsync($"--listen needs an IP address, not '{listen.Host}'");
            return 2;
        }

        using var shutdown = new Shutdown();
        using var loggers = Logging.Create(logLevel);
        var options = new DirectoryServerOptions { ListenEndPoint = new IPEndPoint(address, listen.Port) };
        var server = new DirectoryServer(options, new InMemoryPeerRegistry(), loggers.CreateLogger<DirectoryServer>());
        await using (server)
        {
            try
            {
                server.Start();
            }
            catch (SocketException ex)
            {
                await Console.Error.WriteLineAsync($"cannot listen on {listen}: {ex.Message}");
                return 1;
            }

            var bound = server.LocalEndPoint;
            Console.WriteLine($"p2pshare directory listening on {HostPort.FormatEndPoint(bound.Address, bound.Port)}");
            await Console.Out.FlushAsync();
            try
            {
                await Task.Delay(Timeout.Infinite, shutdown.Token);
            }
            catch (OperationCanceledException)
            {
                // SIGINT or SIGTERM: stop below and exit 0.
            }

            Console.WriteLine("p2pshare directory stopping");
        }

        return 0;
    }
}
