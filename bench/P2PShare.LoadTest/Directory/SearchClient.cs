using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using P2PShare.Protocol;

namespace P2PShare.LoadTest.Directory;

/// <summary>What one search connection measured inside the measurement window.</summary>
internal sealed class SearchStats
{
    /// <summary>Latency of each answered search, in <see cref="Stopwatch"/> ticks.</summary>
    public List<long> Latencies { get; } = new(1 << 16);

    public long Entries { get; set; }

    /// <summary>RESULTS payload bytes (without the 5-byte frame header) of the answered searches.</summary>
    public long PayloadBytes { get; set; }

    public long EmptyResults { get; set; }

    /// <summary>Answers that hold the most entries an answer may (<see cref="Limits.MaxSearchResults"/>).</summary>
    public long FullAnswers { get; set; }

    /// <summary>A 64-bit hash of the query of each answered search, in order.</summary>
    public List<ulong> Queries { get; } = new(1 << 16);

    /// <summary>Hashes of the queries asked before the measurement window (warm-up).</summary>
    public List<ulong> EarlierQueries { get; } = new(1 << 12);

    public long Errors { get; set; }

    public string? FirstError { get; set; }
}

/// <summary>
/// One search connection, like one redis-benchmark client without pipelining: send a SEARCH,
/// wait for its RESULTS, send the next. The frames come from a <see cref="QuerySource"/> (encoded
/// before the run, or one fresh query string per request) and the answers are only counted
/// (<see cref="ResultsScanner"/>), so the client allocates little per request.
/// </summary>
internal static class SearchClient
{
    public static async Task<SearchStats> RunAsync(
        IPAddress local, IPEndPoint server, QuerySource queries, long measureFrom, long measureUntil, CancellationToken cancellationToken)
    {
        var stats = new SearchStats();
        using var socket = await SocketIO.ConnectFromAsync(local, server, cancellationToken).ConfigureAwait(false);
        // One receive usually brings the whole answer (header and payload): read into a buffer
        // as much as has arrived, rather than the header and then the payload.
        var buffer = new byte[64 * 1024];
        while (true)
        {
            if (Stopwatch.GetTimestamp() >= measureUntil)
            {
                return stats;
            }

            // The query is made before the clock starts: its making is the client's work.
            var frame = queries.Next();
            var query = Fnv1a(frame.Span);
            var start = Stopwatch.GetTimestamp();
            int entries;
            int length;
            try
            {
                await SocketIO.SendAllAsync(socket, frame, cancellationToken).ConfigureAwait(false);
                var filled = 0;
                filled = await ReceiveAtLeastAsync(socket, buffer, filled, Limits.FrameHeaderLength, cancellationToken).ConfigureAwait(false);
                length = checked((int)BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(1)));
                var total = Limits.FrameHeaderLength + length;
                if (total > buffer.Length)
                {
                    Array.Resize(ref buffer, Math.Max(total, buffer.Length * 2));
                }

                filled = await ReceiveAtLeastAsync(socket, buffer, filled, total, cancellationToken).ConfigureAwait(false);
                if (filled != total)
                {
                    // One request is in flight and an unregistered connection is never PINGed.
                    throw new InvalidOperationException($"{filled - total} bytes arrived after the answer");
                }

                var type = buffer[0];
                var payload = buffer.AsSpan(Limits.FrameHeaderLength, length);
                entries = type == (byte)MessageType.Results ? ResultsScanner.CountEntries(payload) : -1;
                if (entries < 0)
                {
                    throw new InvalidOperationException(type == (byte)MessageType.Error
                        ? MessageCodec.Decode(type, payload, Channel.Directory).ToString()
                        : $"unexpected answer of type {type} ({length} bytes)");
                }
            }
            catch (Exception ex) when (ex is SocketException or InvalidOperationException or ProtocolException)
            {
                // A connection that failed is not reused: its state is unknown.
                stats.Errors++;
                stats.FirstError ??= ex.Message;
                return stats;
            }

            var end = Stopwatch.GetTimestamp();
            if (start >= measureFrom && end <= measureUntil)
            {
                stats.Latencies.Add(end - start);
                stats.Entries += entries;
                stats.PayloadBytes += length;
                stats.Queries.Add(query);
                if (entries == 0)
                {
                    stats.EmptyResults++;
                }
                else if (entries >= Limits.MaxSearchResults)
                {
                    stats.FullAnswers++;
                }
            }
            else if (start < measureFrom)
            {
                stats.EarlierQueries.Add(query);
            }
        }
    }

    /// <summary>FNV-1a, 64 bits: tells the queries apart well enough to count the distinct ones.</summary>
    private static ulong Fnv1a(ReadOnlySpan<byte> bytes)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    /// <summary>Receives into <paramref name="buffer"/> after its first <paramref name="filled"/> bytes until it holds at least <paramref name="wanted"/>; returns how many it holds.</summary>
    private static async ValueTask<int> ReceiveAtLeastAsync(Socket socket, byte[] buffer, int filled, int wanted, CancellationToken cancellationToken)
    {
        while (filled < wanted)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new InvalidOperationException("the server closed the connection");
            }

            filled += read;
        }

        return filled;
    }
}
