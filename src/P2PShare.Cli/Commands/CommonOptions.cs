using System.CommandLine;
using Microsoft.Extensions.Logging;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Cli.Commands;

/// <summary>Options shared by several verbs, with their parsing and validation in one place.</summary>
internal static class CommonOptions
{
    public static Option<HostPort> Server() => new("--server")
    {
        Description = "Directory server as HOST:PORT",
        Required = true,
        CustomParser = result => ParseHostPort(result.Tokens[0].Value, result),
    };

    public static Option<LogLevel?> LogLevelOption() => new("--log-level")
    {
        Description = "Log level on stderr: Trace, Debug, Information, Warning, Error, Critical, None",
    };

    /// <summary>An option of a positive count (<c>N</c>) with its default.</summary>
    public static Option<int> PositiveCount(string name, string description, int defaultValue)
    {
        var option = new Option<int>(name)
        {
            Description = description,
            HelpName = "N",
            DefaultValueFactory = _ => defaultValue,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() <= 0)
            {
                result.AddError($"{name} must be a positive number");
            }
        });
        return option;
    }

    /// <summary><c>--fsync</c>: each finished download flushed to the disk before it takes its name (<see cref="DownloadOptions.SyncToDisk"/>).</summary>
    public static Option<bool> Fsync() => new("--fsync")
    {
        Description = "Flush each downloaded file to the disk before it takes its name (it survives a power loss once saved); slower on a slow disk",
    };

    /// <summary><c>--direct-io</c>: downloads written past the page cache (<see cref="DownloadOptions.DirectWrites"/>).</summary>
    public static Option<bool> DirectIo() => new("--direct-io")
    {
        Description = "Write downloads with direct I/O, past the page cache (each write waits for the disk)",
    };

    /// <summary><c>--parallel</c>: most files downloaded at once (default from <see cref="PeerOptions"/>).</summary>
    public static Option<int> ParallelDownloads()
    {
        const int most = 64;
        var option = new Option<int>("--parallel")
        {
            Description = "Most files downloaded at once; the others wait their turn",
            HelpName = "N",
            DefaultValueFactory = _ => PeerOptions.DefaultParallelDownloads,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > most)
            {
                result.AddError($"--parallel must be between 1 and {most}");
            }
        });
        return option;
    }

    public static Option<int> Sources()
    {
        var option = new Option<int>("--sources")
        {
            Description = "Most peers to download one file from at once",
            DefaultValueFactory = _ => 8,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 256)
            {
                result.AddError("--sources must be between 1 and 256");
            }
        });
        return option;
    }

    /// <summary><c>--sources-per-address</c>: most sources one address supplies to a download (default from <see cref="SourceLimits"/>).</summary>
    public static Option<int> SourcesPerAddress()
    {
        var option = new Option<int>("--sources-per-address")
        {
            Description = "Most sources one address (an IPv4 address or an IPv6 /64) supplies to one download, those dropped included",
            DefaultValueFactory = _ => new SourceLimits().MaxPerAddress,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 256)
            {
                result.AddError("--sources-per-address must be between 1 and 256");
            }
        });
        return option;
    }

    /// <summary><c>--min-source-rate</c>: bytes per second a source must deliver each chunk and the hash list at, or be dropped (default from <see cref="SourceLimits"/>).</summary>
    public static Option<long> MinSourceRate()
    {
        var option = new Option<long>("--min-source-rate")
        {
            Description = "Bytes per second a source must deliver at least: each chunk (and the hash list) must arrive within 10 s plus its size at this rate, or the source is dropped",
            DefaultValueFactory = _ => new SourceLimits().MinRate,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long>() < 1)
            {
                result.AddError("--min-source-rate must be a positive number of bytes per second");
            }
        });
        return option;
    }

    public static HostPort ParseHostPort(string text, System.CommandLine.Parsing.ArgumentResult result)
    {
        if (HostPort.TryParse(text, out var parsed, out var error))
        {
            return parsed;
        }

        result.AddError(error);
        return new HostPort("invalid", 0);
    }
}
