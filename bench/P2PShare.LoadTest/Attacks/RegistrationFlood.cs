using System.Diagnostics;
using System.Net;
using P2PShare.Protocol;

namespace P2PShare.LoadTest.Attacks;

/// <summary>Settings of <c>p2pshare-loadtest flood</c>.</summary>
internal sealed record RegistrationFloodOptions(IPEndPoint Server, double GiB, int Addresses, int Connections, int NamesPerFrame, int? ServerPid, int Seed);

/// <summary>
/// Issue 13's registration flood: <see cref="RegistrationFloodOptions.Connections"/> connections
/// from <see cref="RegistrationFloodOptions.Addresses"/> loopback addresses send REGISTER and then
/// ADD frames full of never-seen CJK names (16 MiB by default, or fewer names a frame), pipelined, until the given amount has been
/// sent (a connection the server closes connects again). Meanwhile a probe searches twice a
/// second and the server's memory is sampled; afterwards an ordinary peer from another address
/// registers 100 files and searches for them. One JSON line of figures on stdout.
/// </summary>
internal static class RegistrationFlood
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>What a connection sends at a time.</summary>
    private const int Piece = 1 << 20;

    public static async Task<int> RunAsync(RegistrationFloodOptions options, CancellationToken cancellationToken)
    {
        var report = new JsonReport();
        var totalBytes = (long)(options.GiB * (1L << 30));
        var state = new FloodState(totalBytes);
        using var stopProbe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var probe = ProbeAsync(options, stopProbe.Token);
        var clock = Stopwatch.StartNew();
        var connections = Enumerable.Range(0, options.Connections).Select(i => FloodAsync(options, i, state, cancellationToken)).ToArray();
        await Task.WhenAll(connections).ConfigureAwait(false);
        var floodSeconds = clock.Elapsed.TotalSeconds;
        await stopProbe.CancelAsync().ConfigureAwait(false);
        var probed = await probe.ConfigureAwait(false);
        Log($"flood: {state.SentBytes / 1048576.0:0} MiB sent, {state.Frames} frames whole, over {floodSeconds:0.0} s: {state.Accepted} accepted, {state.Refused} refused, {state.Closed} connections closed by the server; first refusal: {state.FirstRefusal}");
        Log($"probe: {probed.Searches} searches, max wait {probed.MaxWaitMs:0} ms, {probed.Over1s} over 1 s, {probed.Failures} failures; server VmRSS max {probed.MaxRssMiB:0} MiB, VmHWM {probed.PeakMiB:0} MiB");
        report.Add("sent_mib", state.SentBytes / 1048576.0).Add("frames", state.Frames).Add("accepted", state.Accepted).Add("refused", state.Refused)
            .Add("closed", state.Closed).Add("first_refusal", state.FirstRefusal).Add("flood_s", floodSeconds)
            .Add("probe_searches", probed.Searches).Add("probe_max_wait_ms", probed.MaxWaitMs).Add("probe_over_1s", probed.Over1s).Add("probe_failures", probed.Failures)
            .Add("server_rss_max_mib", probed.MaxRssMiB).Add("server_hwm_mib", probed.PeakMiB);

        var (registered, found, error) = await OrdinaryPeerAsync(options, cancellationToken).ConfigureAwait(false);
        Log($"ordinary peer from another address afterwards: registered {registered} files, search found {found}{(error is null ? "" : $", error: {error}")}");
        report.Add("ordinary_registered", registered).Add("ordinary_found", found).Add("ordinary_error", error);
        Console.WriteLine(report.ToString());
        return 0;
    }

    private static async Task FloodAsync(RegistrationFloodOptions options, int index, FloodState state, CancellationToken cancellationToken)
    {
        var frames = new HostileFrames(options.Seed * 1000 + index);
        var local = SocketIO.LoopbackAddress(3, index % options.Addresses);
        while (!state.Done)
        {
            FrameConnection connection;
            try
            {
                connection = new FrameConnection(await SocketIO.ConnectFromAsync(local, options.Server, cancellationToken).ConfigureAwait(false), Channel.Directory);
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                continue;
            }

            await using (connection.ConfigureAwait(false))
            {
                var answers = ReadAnswersAsync(connection, state, cancellationToken);
                try
                {
                    var first = true;
                    while (!answers.IsCompleted && !state.Done)
                    {
                        var frame = frames.Registration(first ? (ushort)(10_000 + index) : null, Math.Min(options.NamesPerFrame, HostileFrames.EntriesPerFrame));
                        first = false;
                        // In pieces, counting what really went out: a server that refuses a frame
                        // part-way closes the connection, and that part was sent all the same.
                        for (var at = 0; at < frame.Length; at += Piece)
                        {
                            var piece = Math.Min(Piece, frame.Length - at);
                            await SocketIO.SendAllAsync(connection.Socket, frame.AsMemory(at, piece), cancellationToken).ConfigureAwait(false);
                            state.Sent(piece);
                        }

                        state.FrameSent();
                    }
                }
                catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or ObjectDisposedException or TimeoutException)
                {
                    // The server closed the connection: connect again and go on.
                }

                // The answers to what was sent, then close (a server that does not answer within
                // its frame timeout has given up on those frames anyway).
                connection.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
                await Task.WhenAny(answers, Task.Delay(TimeSpan.FromSeconds(60), cancellationToken)).ConfigureAwait(false);
            }
        }
    }

    private static async Task ReadAnswersAsync(FrameConnection connection, FloodState state, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var message = await connection.ReadMessageAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
                switch (message)
                {
                    case null:
                        Interlocked.Increment(ref state.Closed);
                        return;
                    case OkMessage:
                        Interlocked.Increment(ref state.Accepted);
                        break;
                    case ErrorMessage error:
                        Interlocked.Increment(ref state.Refused);
                        Interlocked.CompareExchange(ref state.FirstRefusal, error.Text, null);
                        break;
                    case PingMessage:
                        // Not answered: the frames go out on the socket directly, and a PONG
                        // could land inside one. A flooding connection lives less than a PING interval.
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or ObjectDisposedException or ProtocolException or EndOfStreamException)
        {
            Interlocked.Increment(ref state.Closed);
        }
    }

    /// <summary>
    /// The probe runs on a thread of its own with blocking socket calls: the flood's tasks keep
    /// this process's thread pool busy making frames, and a probe queued behind them would
    /// measure this tool, not the server.
    /// </summary>
    private static Task<ProbeFigures> ProbeAsync(RegistrationFloodOptions options, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<ProbeFigures>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() => done.SetResult(Probe(options, cancellationToken))) { IsBackground = true, Name = "probe" };
        thread.Start();
        return done.Task;
    }

    private static ProbeFigures Probe(RegistrationFloodOptions options, CancellationToken cancellationToken)
    {
        var figures = new ProbeFigures();
        var query = MessageCodec.EncodeFrame(new SearchMessage("ordinary probe"));
        var header = new byte[Limits.FrameHeaderLength];
        System.Net.Sockets.Socket? socket = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            var clock = Stopwatch.StartNew();
            try
            {
                if (socket is null)
                {
                    socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 30_000 };
                    socket.Bind(new IPEndPoint(SocketIO.LoopbackAddress(8, 0), 0));
                    socket.Connect(options.Server);
                }

                socket.Send(query);
                ReceiveExactly(socket, header);
                if (header[0] != (byte)MessageType.Results)
                {
                    throw new InvalidOperationException($"answered type {header[0]}");
                }

                ReceiveExactly(socket, new byte[System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1))]);
                figures.Searches++;
                figures.MaxWaitMs = Math.Max(figures.MaxWaitMs, clock.Elapsed.TotalMilliseconds);
                if (clock.Elapsed > TimeSpan.FromMilliseconds(250))
                {
                    figures.Over1s += clock.Elapsed > TimeSpan.FromSeconds(1) ? 1 : 0;
                    Log($"probe search {figures.Searches} waited {clock.Elapsed.TotalMilliseconds:0} ms ({figures.Since.Elapsed.TotalSeconds:0.0} s into the flood)");
                }
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or InvalidOperationException or EndOfStreamException)
            {
                figures.Failures++;
                figures.MaxWaitMs = Math.Max(figures.MaxWaitMs, clock.Elapsed.TotalMilliseconds);
                Log($"probe search failed after {clock.Elapsed.TotalMilliseconds:0} ms: {ex.Message}");
                socket?.Dispose();
                socket = null;
            }

            if (options.ServerPid is { } pid)
            {
                var memory = ProcessMemory.Read(pid);
                figures.MaxRssMiB = Math.Max(figures.MaxRssMiB, memory.RssMiB);
                figures.PeakMiB = memory.PeakRssMiB;
            }

            var rest = ProbeInterval - clock.Elapsed;
            if (rest > TimeSpan.Zero)
            {
                cancellationToken.WaitHandle.WaitOne(rest);
            }
        }

        socket?.Dispose();
        return figures;
    }

    private static void ReceiveExactly(System.Net.Sockets.Socket socket, byte[] buffer)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = socket.Receive(buffer, filled, buffer.Length - filled, System.Net.Sockets.SocketFlags.None);
            if (read == 0)
            {
                throw new EndOfStreamException("the server closed the probe's connection");
            }

            filled += read;
        }
    }

    private static async Task<(int Registered, int Found, string? Error)> OrdinaryPeerAsync(RegistrationFloodOptions options, CancellationToken cancellationToken)
    {
        var files = Enumerable.Range(0, 100).Select(i => new FileEntry($"ordinary/quarterly report {i:000}.pdf", (ulong)(1000 + i), new ContentId(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i))))).ToList();
        try
        {
            await using var peer = new FrameConnection(await SocketIO.ConnectFromAsync(SocketIO.LoopbackAddress(9, 0), options.Server, cancellationToken).ConfigureAwait(false), Channel.Directory);
            await peer.SendAsync(new RegisterMessage(3300, files), cancellationToken).ConfigureAwait(false);
            var answer = await peer.ReadMessageAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            if (answer is not OkMessage ok)
            {
                return (0, 0, $"REGISTER answered {answer}");
            }

            await using var searcher = new FrameConnection(await SocketIO.ConnectFromAsync(SocketIO.LoopbackAddress(8, 1), options.Server, cancellationToken).ConfigureAwait(false), Channel.Directory);
            await searcher.SendAsync(new SearchMessage("quarterly report"), cancellationToken).ConfigureAwait(false);
            var results = await searcher.ReadMessageAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false) as ResultsMessage;
            return ((int)ok.FileCount, results?.Peers.Sum(p => p.Files.Count) ?? 0, results is null ? "SEARCH not answered with RESULTS" : null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return (0, 0, ex.Message);
        }
    }

    private static void Log(string message) => Console.Error.WriteLine(message);

    private sealed class FloodState(long totalBytes)
    {
        public readonly long TotalBytes = totalBytes;
        public long SentBytes;
        public int Frames;
        public int Accepted;
        public int Refused;
        public int Closed;
        public string? FirstRefusal;
        /// <summary>Whether the whole amount has gone out.</summary>
        public bool Done => Interlocked.Read(ref SentBytes) >= TotalBytes;

        public void Sent(int bytes) => Interlocked.Add(ref SentBytes, bytes);

        public void FrameSent() => Interlocked.Increment(ref Frames);
    }

    private sealed class ProbeFigures
    {
        public readonly Stopwatch Since = Stopwatch.StartNew();
        public int Searches;
        public double MaxWaitMs;
        public int Over1s;
        public int Failures;
        public double MaxRssMiB;
        public double PeakMiB;
    }
}
