using System.Runtime.InteropServices;

namespace P2PShare.Cli;

/// <summary>
/// Turns SIGINT and SIGTERM into a cancellation token, so long-running commands stop through
/// their normal path (unregister, close connections, delete partial files) and exit 0.
/// </summary>
internal sealed class Shutdown : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly PosixSignalRegistration[] _registrations;

    public Shutdown()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    public CancellationToken Token => _source.Token;

    /// <summary>Asks for a shutdown from inside the program (the menu's quit).</summary>
    public void Request() => _source.Cancel();

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _source.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        // Keep the process alive: the command sees the token and winds down by itself.
        context.Cancel = true;
        _source.Cancel();
    }
}
