using Microsoft.Extensions.Logging;
using P2PShare.Protocol;

namespace P2PShare.Directory;

/// <summary>
/// Logs the requests of one connection that a limit refused: the first at once, then at most one
/// line every <see cref="Interval"/> saying how many more there were, so a client that keeps
/// sending refused requests cannot turn the log into a flood of its own.
/// </summary>
internal sealed class RefusalLog(ILogger logger, string remote)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private long _lastLoggedTicks = long.MinValue / 2;
    private int _unlogged;

    public void Log(MessageType request, RequestRefusedException refused)
    {
        var now = Environment.TickCount64;
        if (now - _lastLoggedTicks < (long)Interval.TotalMilliseconds)
        {
            _unlogged++;
            return;
        }

        if (_unlogged > 0)
        {
            logger.LogWarning("{Remote}: {Request} refused by {Limit}: {Reason} ({Unlogged} more refusals not logged)", remote, Name(request), refused.Limit, refused.Message, _unlogged);
        }
        else
        {
            logger.LogWarning("{Remote}: {Request} refused by {Limit}: {Reason}", remote, Name(request), refused.Limit, refused.Message);
        }

        _lastLoggedTicks = now;
        _unlogged = 0;
    }

    private static string Name(MessageType request) => request switch
    {
        MessageType.SearchOrGet => "SEARCH",
        MessageType.Register => "REGISTER",
        MessageType.Add => "ADD",
        MessageType.Remove => "REMOVE",
        MessageType.Hold => "HOLD",
        MessageType.Locate => "LOCATE",
        _ => request.ToString(),
    };
}
