using System.Globalization;

namespace P2PShare.IntegrationTests.Infrastructure;

/// <summary>
/// What the kernel still holds for the TCP connections of one port (/proc/net/tcp and tcp6): the
/// bytes a server has not read yet and the bytes its clients have not had acknowledged. Both 0
/// means the server process has read everything that was sent to it.
/// </summary>
public static class TcpQueues
{
    private const string Established = "01";

    /// <summary>Bytes queued on established connections to or from <paramref name="port"/>: unread by the server plus unsent by its clients.</summary>
    public static long PendingBytes(int port)
    {
        long pending = 0;
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table))
            {
                continue;
            }

            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // "sl local_address rem_address st tx_queue:rx_queue ...", addresses as HEX:PORT.
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 5 || fields[3] != Established)
                {
                    continue;
                }

                var queues = fields[4].Split(':');
                var transmit = long.Parse(queues[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                var receive = long.Parse(queues[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (PortOf(fields[1]) == port)
                {
                    pending += receive;
                }
                else if (PortOf(fields[2]) == port)
                {
                    pending += transmit;
                }
            }
        }

        return pending;
    }

    private static int PortOf(string address) =>
        int.Parse(address[(address.IndexOf(':', StringComparison.Ordinal) + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
