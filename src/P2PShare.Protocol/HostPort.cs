using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace P2PShare.Protocol;

/// <summary>A <c>HOST:PORT</c> as given on the command line (<c>[::1]:3400</c> for IPv6 literals).</summary>
public sealed record HostPort(string Host, ushort Port)
{
    public static HostPort Parse(string text)
    {
        if (!TryParse(text, out var result, out var error))
        {
            throw new FormatException(error);
        }

        return result;
    }

    public static bool TryParse(string? text, [NotNullWhen(true)] out HostPort? result, [NotNullWhen(false)] out string? error)
    {
        result = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "expected HOST:PORT, got nothing";
            return false;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            error = $"'{text}' is not HOST:PORT";
            return false;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            error = $"'{text}': write an IPv6 address in brackets, like [::1]:3400";
            return false;
        }

        if (!ushort.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            error = $"'{text[(colon + 1)..]}' is not a port number (0-65535)";
            return false;
        }

        result = new HostPort(host, port);
        error = null;
        return true;
    }

    /// <summary>Resolves the host (a literal address or a name) to the addresses to try, IPv4 first.</summary>
    public async Task<IPAddress[]> ResolveAsync(CancellationToken cancellationToken = default)
    {
        if (IPAddress.TryParse(Host, out var literal))
        {
            return [literal];
        }

        var addresses = await Dns.GetHostAddressesAsync(Host, cancellationToken).ConfigureAwait(false);
        return [.. addresses.OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1)];
    }

    /// <summary>
    /// Connects a TCP socket to this host and port, trying each resolved address in turn, each
    /// within <paramref name="timeout"/>.
    /// </summary>
    public async Task<Socket> ConnectAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var addresses = await ResolveAsync(cancellationToken).ConfigureAwait(false);
        return await ConnectAsync(addresses, Port, timeout, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<Socket> ConnectAsync(IReadOnlyList<IPAddress> addresses, int port, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), deadline.Token).ConfigureAwait(false);
                return socket;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                last = new TimeoutException($"no answer from {address}:{port} within {timeout.TotalSeconds:0.#} s");
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = new SocketException((int)ex.SocketErrorCode, $"cannot connect to {FormatEndPoint(address, port)}: {ex.Message}");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary><c>1.2.3.4:5</c> or <c>[::1]:5</c>.</summary>
    public static string FormatEndPoint(IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        address = MessageCodec.NormalizeAddress(address);
        return address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";
    }

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
