using System.CommandLine;
using Microsoft.Extensions.Logging;
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
