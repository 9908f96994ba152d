using Microsoft.Extensions.Logging;

namespace P2PShare.Cli;

/// <summary>Loggers that write one line per event to stderr, so stdout stays for results.</summary>
internal static class Logging
{
    public static ILoggerFactory Create(LogLevel level) =>
        LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(level);
            builder.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.TimestampFormat = "HH:mm:ss.fff ";
                options.IncludeScopes = false;
            });
        });
}
