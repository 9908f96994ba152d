using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Cli.Commands;

/// <summary>
/// <c>p2pshare server [--listen ADDR:PORT] [--ping-interval S] [--peer-timeout S] [--max-per-address N]
/// [--max-connections N] [--frame-timeout S] [--idle-timeout S] [--frame-memory-per-address MIB]
/// [--frame-memory MIB]</c>: the directory server.
/// </summary>
internal static class ServerCommand
{
    private const long Mebibyte = 1024 * 1024;

    public static Command Create()
    {
        var defaults = new DirectoryServerOptions();
        var listen = new Option<HostPort>("--listen")
        {
            Description = "Address and port to listen on (port 0 picks a free one)",
            DefaultValueFactory = _ => new HostPort("0.0.0.0", 3400),
            CustomParser = result => CommonOptions.ParseHostPort(result.Tokens[0].Value, result),
        };
        var pingInterval = Seconds("--ping-interval", "Seconds of silence after which a registered peer is sent a PING (and again every interval)", defaults.PingInterval);
        var peerTimeout = Seconds("--peer-timeout", "Seconds of silence (not even a PONG) after which a registered peer is dropped; more than --ping-interval", defaults.PeerTimeout);
        var frameTimeout = Seconds("--frame-timeout", "Seconds a client has to complete a frame once it has begun", defaults.FrameTimeout);
        var idleTimeout = Seconds("--idle-timeout", "Seconds a connection that has not registered may stay silent", defaults.UnregisteredIdleTimeout);
        var drainTimeout = Seconds("--drain-timeout", "On SIGINT/SIGTERM, seconds the requests being answered get to finish after accepting stops", defaults.DrainTimeout);
        var maxPerAddress = CommonOptions.PositiveCount("--max-per-address", "Most connections open at once from one address; more get ERROR 4 (busy)", defaults.MaxConnectionsPerAddress);
        var maxConnections = CommonOptions.PositiveCount("--max-connections", "Most connections open at once in all; more get ERROR 4 (busy)", defaults.MaxConnections);
        var frameMemoryPerAddress = Mebibytes("--frame-memory-per-address", "MiB that frames being received from one address (IPv6: one /64) may hold at once; more get ERROR 4 (busy)", defaults.MaxFrameBytesPerAddress);
        var frameMemory = Mebibytes("--frame-memory", "MiB that frames being received from all addresses may hold at once; more get ERROR 4 (busy)", defaults.MaxFrameBytes);
        var noSearchCache = new Option<bool>("--no-search-cache")
        {
            Description = "Answer every SEARCH from the index, never from the matches of the same query asked before",
        };
        var logLevel = CommonOptions.LogLevelOption();
        var limits = new RegistryLimitOptions();
        var command = new Command("server", "Run the directory server until SIGINT/SIGTERM")
        {
            listen, pingInterval, peerTimeout, maxPerAddress, maxConnections, frameTimeout, idleTimeout, drainTimeout, frameMemoryPerAddress, frameMemory, noSearchCache, logLevel,
        };
        foreach (var option in limits.All)
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, _) =>
        {
            var options = new ServerSettings(
                parse.GetValue(listen)!,
                TimeSpan.FromSeconds(parse.GetValue(pingInterval)),
                TimeSpan.FromSeconds(parse.GetValue(peerTimeout)),
                TimeSpan.FromSeconds(parse.GetValue(frameTimeout)),
                TimeSpan.FromSeconds(parse.GetValue(idleTimeout)),
                TimeSpan.FromSeconds(parse.GetValue(drainTimeout)),
                parse.GetValue(maxPerAddress),
                parse.GetValue(maxConnections),
                !parse.GetValue(noSearchCache),
                limits.QuotasFrom(parse),
                limits.SearchLimitsFrom(parse))
            {
                FrameMemoryPerAddress = parse.GetValue(frameMemoryPerAddress) * Mebibyte,
                FrameMemory = parse.GetValue(frameMemory) * Mebibyte,
            };
            return RunAsync(options, parse.GetValue(logLevel) ?? LogLevel.Information);
        });
        return command;
    }

    /// <summary>An option of a positive number of seconds (fractions allowed).</summary>
    private static Option<double> Seconds(string name, string description, TimeSpan defaultValue)
    {
        var option = new Option<double>(name)
        {
            Description = description,
            HelpName = "SECONDS",
            DefaultValueFactory = _ => defaultValue.TotalSeconds,
        };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<double>();
            if (!double.IsFinite(value) || value <= 0 || value > TimeSpan.FromDays(1).TotalSeconds)
            {
                result.AddError($"{name} must be a positive number of seconds (at most a day)");
            }
        });
        return option;
    }

    /// <summary>An option of a number of MiB, at least what one frame of the largest size needs (16).</summary>
    private static Option<long> Mebibytes(string name, string description, long defaultBytes)
    {
        const long Least = FrameMemoryBudget.MinimumLimit / Mebibyte;
        var option = new Option<long>(name)
        {
            Description = description,
            HelpName = "MIB",
            DefaultValueFactory = _ => defaultBytes / Mebibyte,
        };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<long>();
            if (value < Least || value > 1024 * 1024)
            {
                result.AddError($"{name} must be a number of MiB from {Least} (one frame of the largest size) to 1048576");
            }
        });
        return option;
    }

    private static async Task<int> RunAsync(ServerSettings settings, LogLevel logLevel)
    {
        var listen = settings.Listen;
        if (!IPAddress.TryParse(listen.Host, out var address))
        {
            await Console.Error.WriteLineAsync($"--listen needs an IP address, not '{listen.Host}'");
            return 2;
        }

        if (settings.PeerTimeout <= settings.PingInterval)
        {
            await Console.Error.WriteLineAsync($"--peer-timeout ({settings.PeerTimeout.TotalSeconds:0.###} s) must be longer than --ping-interval ({settings.PingInterval.TotalSeconds:0.###} s)");
            return 2;
        }

        if (settings.FrameMemory < settings.FrameMemoryPerAddress)
        {
            await Console.Error.WriteLineAsync($"--frame-memory ({settings.FrameMemory / Mebibyte} MiB) must be at least --frame-memory-per-address ({settings.FrameMemoryPerAddress / Mebibyte} MiB)");
            return 2;
        }

        using var shutdown = new Shutdown();
        using var loggers = Logging.Create(logLevel);
        var logger = loggers.CreateLogger<DirectoryServer>();
        // Every connection is a file descriptor: a directory with 50,000 peers needs far more than 1024.
        var openFiles = OpenFileLimit.RaiseToHardLimit(warning => logger.LogWarning("{Warning}", warning));
        if (openFiles >= 0 && openFiles < settings.MaxConnections)
        {
            logger.LogInformation("open-files limit: {Limit} (below --max-connections {Max}: at most about that many connections can be accepted)", openFiles, settings.MaxConnections);
        }
        else
        {
            logger.LogInformation("open-files limit: {Limit}", openFiles < 0 ? "unknown" : openFiles.ToString(CultureInfo.InvariantCulture));
        }

        // A registration or the slice of a search is a few milliseconds of work on a thread of
        // the pool; with only one thread per core to start with, a few of them running at once
        // left every other request waiting for the pool to add threads (it adds about two a
        // second). More threads from the start cost nothing while they are not needed.
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, 8 * Environment.ProcessorCount), completionPorts);

        var options = new DirectoryServerOptions
        {
            ListenEndPoint = new IPEndPoint(address, listen.Port),
            PingInterval = settings.PingInterval,
            PeerTimeout = settings.PeerTimeout,
            FrameTimeout = settings.FrameTimeout,
            UnregisteredIdleTimeout = settings.IdleTimeout,
            DrainTimeout = settings.DrainTimeout,
            MaxConnectionsPerAddress = settings.MaxPerAddress,
            MaxConnections = settings.MaxConnections,
            MaxFrameBytesPerAddress = settings.FrameMemoryPerAddress,
            MaxFrameBytes = settings.FrameMemory,
        };
        var server = new DirectoryServer(options, new InMemoryPeerRegistry(settings.Quotas, settings.SearchLimits, rememberSearches: settings.SearchCache), logger);
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

    private sealed record ServerSettings(
        HostPort Listen,
        TimeSpan PingInterval,
        TimeSpan PeerTimeout,
        TimeSpan FrameTimeout,
        TimeSpan IdleTimeout,
        TimeSpan DrainTimeout,
        int MaxPerAddress,
        int MaxConnections,
        bool SearchCache,
        RegistrationQuotas Quotas,
        SearchLimits SearchLimits)
    {
        public long FrameMemoryPerAddress { get; init; }

        public long FrameMemory { get; init; }
    }
}
