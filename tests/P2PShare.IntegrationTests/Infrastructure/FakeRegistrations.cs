using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using P2PShare.Protocol;

namespace P2PShare.IntegrationTests.Infrastructure;

/// <summary>
/// Registrations of a file nobody really has: from one address, <c>count</c> REGISTER
/// connections (each announcing its own listen port) claim one entry, with whatever size and id
/// the test makes up. Each port is really listened on: HASHES is answered with a HASH_LIST of the
/// right length whose digests are random (so it does not hash to the id), GET with ERROR 2. The
/// connections stay open (PINGs answered), so the claims stay listed until disposed.
/// </summary>
public sealed class FakeRegistrations : IAsyncDisposable
{
    private readonly List<Socket> _listeners = [];
    private readonly List<FrameConnection> _directories = [];
    private readonly List<Task> _tasks = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly FileEntry _entry;
    private int _hashesAnswered;

    private FakeRegistrations(IPAddress address, FileEntry entry)
    {
        Address = address;
        _entry = entry;
    }

    /// <summary>The address every claim comes from.</summary>
    public IPAddress Address { get; }

    /// <summary>The ports the claims announce, one per REGISTER connection.</summary>
    public IReadOnlyList<int> Ports => [.. _listeners.Select(l => ((IPEndPoint)l.LocalEndPoint!).Port)];

    /// <summary>HASHES requests answered (with a list that does not match the id).</summary>
    public int HashesAnswered => Volatile.Read(ref _hashesAnswered);

    /// <summary>Registers <paramref name="entry"/> <paramref name="count"/> times from <paramref name="address"/>, each with a port of its own.</summary>
    public static async Task<FakeRegistrations> StartAsync(ServerHandle server, IPAddress address, int count, FileEntry entry)
    {
        ArgumentNullException.ThrowIfNull(server);
        var claims = new FakeRegistrations(address, entry);
        try
        {
            for (var i = 0; i < count; i++)
            {
                await claims.RegisterOneAsync(server);
            }

            return claims;
        }
        catch
        {
            await claims.DisposeAsync();
            throw;
        }
    }

    /// <summary>A made-up id: 32 times <paramref name="value"/>.</summary>
    public static ContentId Id(byte value) => new(Enumerable.Repeat(value, Limits.IdLength).ToArray());

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Task[] tasks;
        lock (_lock)
        {
            foreach (var listener in _listeners)
            {
                listener.Dispose();
            }

            foreach (var directory in _directories)
            {
                directory.Dispose();
            }

            tasks = [.. _tasks];
        }

        try
        {
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or SocketException or IOException or ObjectDisposedException)
        {
            // Closing: whatever a connection was doing no longer matters.
        }

        _stop.Dispose();
    }

    private async Task RegisterOneAsync(ServerHandle server)
    {
        var token = TestContext.Current.CancellationToken;
        var listener = new Socket(Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        lock (_lock)
        {
            _listeners.Add(listener);
        }

        listener.Bind(new IPEndPoint(Address, 0));
        listener.Listen(16);
        var socket = await Loopback.ConnectFromAsync(Address, server.Host, server.Port, token);
        var directory = new FrameConnection(socket, Channel.Directory) { FrameTimeout = RawClient.ReplyTimeout };
        lock (_lock)
        {
            _directories.Add(directory);
        }

        await directory.SendAsync(new RegisterMessage((ushort)((IPEndPoint)listener.LocalEndPoint!).Port, [_entry]), token);
        var reply = await directory.ReadMessageAsync(RawClient.ReplyTimeout, token);
        if (reply is not OkMessage { FileCount: 1 })
        {
            throw new InvalidOperationException($"the directory answered a fake REGISTER from {Address} with {reply?.ToString() ?? "nothing"}");
        }

        Track(KeepRegistrationAsync(directory));
        Track(AcceptAsync(listener));
    }

    private void Track(Task task)
    {
        lock (_lock)
        {
            _tasks.Add(task);
        }
    }

    private async Task KeepRegistrationAsync(FrameConnection directory)
    {
        try
        {
            while (await directory.ReadMessageAsync(Timeout.InfiniteTimeSpan, _stop.Token) is { } message)
            {
                if (message is PingMessage)
                {
                    await directory.SendAsync(PongMessage.Instance, _stop.Token);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException or ProtocolException or TimeoutException)
        {
            // The test is over, or the directory went away.
        }
    }

    private async Task AcceptAsync(Socket listener)
    {
        try
        {
            while (true)
            {
                var socket = await listener.AcceptAsync(_stop.Token);
                Track(ServeAsync(new FrameConnection(socket, Channel.Peer)));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task ServeAsync(FrameConnection connection)
    {
        using (connection)
        {
            try
            {
                while (await connection.ReadMessageAsync(TimeSpan.FromSeconds(30), _stop.Token) is { } message)
                {
                    if (message is HashesMessage)
                    {
                        // The right number of digests, none of them right: as much as a claim of made-up content can send.
                        var count = checked((int)Math.Min(HashListMessage.ChunkCount(_entry.Size), 1024));
                        await connection.SendAsync(new HashListMessage(Limits.ChunkSize, RandomNumberGenerator.GetBytes(count * Limits.IdLength)), _stop.Token);
                        Interlocked.Increment(ref _hashesAnswered);
                    }
                    else
                    {
                        await connection.SendAsync(new ErrorMessage(ErrorCode.NotFound, "no such file"), _stop.Token);
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException or ProtocolException or TimeoutException)
            {
                // The downloader hung up, or the test is over.
            }
        }
    }
}
