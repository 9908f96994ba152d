namespace P2PShare.IntegrationTests.Infrastructure;

/// <summary>Waits for the directory to know the peers a download is meant to use.</summary>
public static class Sources
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Waits until the peers listening on <paramref name="ports"/> are all listed with a file named
    /// exactly <paramref name="name"/>. A peer may announce its files a little after its start
    /// line (they are hashed first), and a swarm test means nothing until every source is listed.
    /// </summary>
    public static async Task WaitForAsync(ServerHandle server, string name, params int[] ports)
    {
        ArgumentNullException.ThrowIfNull(server);
        await RawClient.SearchUntilAsync(
            server.Port,
            name,
            results => ports.All(port => results.Any(peer => peer.Port == port && peer.Files.Any(file => file.Name == name))),
            Timeout,
            server.Host);
    }

    /// <summary>Like <see cref="WaitForAsync"/>, for a file of content id <paramref name="id"/> (hex) under any name.</summary>
    public static async Task WaitForIdAsync(ServerHandle server, string id, params int[] ports)
    {
        ArgumentNullException.ThrowIfNull(server);
        await RawClient.SearchUntilAsync(
            server.Port,
            "",
            results => ports.All(port => results.Any(peer => peer.Port == port && peer.Files.Any(file => file.Id.ToString() == id))),
            Timeout,
            server.Host);
    }
}
