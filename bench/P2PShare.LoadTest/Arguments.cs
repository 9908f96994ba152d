using System.Globalization;
using System.Net;
using P2PShare.Protocol;

namespace P2PShare.LoadTest;

/// <summary><c>--name value</c> pairs of the command line, looked up by name with a default.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public Arguments(IEnumerable<string> args)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var name = e.Current;
            if (!name.StartsWith("--", StringComparison.Ordinal) || !e.MoveNext())
            {
                throw new ArgumentException($"expected --name value pairs, got \"{name}\"");
            }

            _values[name] = e.Current;
        }
    }

    public string String(string name, string? fallback = null) =>
        _values.TryGetValue(name, out var value) ? value : fallback ?? throw new ArgumentException($"{name} is required");

    /// <summary>
    /// An <c>IP:PORT</c> option as an endpoint: the simulated clients connect from loopback
    /// addresses of their own, so the server is given by address, not by name.
    /// </summary>
    public IPEndPoint EndPoint(string name)
    {
        var hostPort = HostPort.Parse(String(name));
        return new IPEndPoint(IPAddress.Parse(hostPort.Host), hostPort.Port);
    }

    public int Int(string name, int fallback) =>
        _values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public int? OptionalInt(string name) =>
        _values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : null;

    public TimeSpan Seconds(string name, double fallback) =>
        TimeSpan.FromSeconds(_values.TryGetValue(name, out var value) ? double.Parse(value, CultureInfo.InvariantCulture) : fallback);
}
