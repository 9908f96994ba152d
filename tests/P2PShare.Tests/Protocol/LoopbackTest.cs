using System.Net.Sockets;

namespace P2PShare.Tests.Protocol;

/// <summary>A test class with a fresh connected pair of loopback sockets for each test.</summary>
public abstract class LoopbackTest : IAsyncLifetime
{
    protected static readonly TimeSpan Idle = TimeSpan.FromSeconds(10);

    protected Socket Sender { get; private set; } = null!;

    protected Socket Receiver { get; private set; } = null!;

    protected static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        (Sender, Receiver) = await Loopback.ConnectedPairAsync();
    }

    public ValueTask DisposeAsync()
    {
        Sender.Dispose();
        Receiver.Dispose();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
