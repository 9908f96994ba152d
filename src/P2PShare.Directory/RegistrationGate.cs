using System.Net;

namespace P2PShare.Directory;

/// <summary>
/// Lets REGISTER and ADD requests into the registry a few at a time: at most one per address
/// group (<see cref="Protocol.AddressGroup"/>) and at most one per core in all. Preparing a
/// request (its names, its trigrams, what they will cost) is CPU work on a thread of the pool;
/// without the gate, a flood of large requests from a few addresses occupied every thread
/// and every core, each holding a large request in memory, and the rest of the server waited.
/// A connection waiting here waits asynchronously and reads nothing more meanwhile, so a
/// flooding client is slowed to the pace the server takes its requests at, and its requests
/// queue behind each other instead of in front of everyone else's.
/// </summary>
#pragma warning disable CA1001 // SemaphoreSlim holds nothing to dispose unless its wait handle is asked for; the gate lives as long as the server.
internal sealed class RegistrationGate
#pragma warning restore CA1001
{
    private readonly SemaphoreSlim _slots;
    private readonly Dictionary<IPAddress, Turn> _turns = [];
    private readonly Lock _lock = new();

    public RegistrationGate(int concurrency)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(concurrency);
        _slots = new SemaphoreSlim(concurrency, concurrency);
    }

    /// <summary>Waits for the turn of <paramref name="group"/> and a free slot; dispose the result to let the next one in.</summary>
    public async ValueTask<Pass> EnterAsync(IPAddress group, CancellationToken cancellationToken)
    {
        Turn turn;
        lock (_lock)
        {
            if (!_turns.TryGetValue(group, out turn!))
            {
                turn = new Turn();
                _turns.Add(group, turn);
            }

            turn.Users++;
        }

        try
        {
            await turn.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                turn.Semaphore.Release();
                throw;
            }
        }
        catch
        {
            Leave(group, turn);
            throw;
        }

        return new Pass(this, group, turn);
    }

    private void Leave(IPAddress group, Turn turn)
    {
        lock (_lock)
        {
            if (--turn.Users == 0)
            {
                _turns.Remove(group);
            }
        }
    }

    /// <summary>A request's place in the registry; disposing it lets the next one in.</summary>
    public readonly struct Pass(RegistrationGate gate, IPAddress group, Turn turn) : IDisposable
    {
        public void Dispose()
        {
            gate._slots.Release();
            turn.Semaphore.Release();
            gate.Leave(group, turn);
        }
    }

    /// <summary>One address group's turn: one request at a time; dropped when no one waits for it.</summary>
    internal sealed class Turn
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        public int Users { get; set; }
    }
}
