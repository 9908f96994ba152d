using System.Globalization;
using System.Text.Json;

namespace P2PShare.IntegrationTests.Infrastructure;

/// <summary>A running <c>p2pshare server</c> and the address peers reach it at.</summary>
public sealed record ServerHandle(CliProcess Process, int Port)
{
    /// <summary>The IP address clients connect to (<c>server with { Host = IPAddress.IPv6Loopback }</c> reaches a dual-stack server over IPv6).</summary>
    public System.Net.IPAddress Host { get; init; } = System.Net.IPAddress.Loopback;

    /// <summary>As <c>--server</c> takes it: <c>127.0.0.1:PORT</c> or <c>[::1]:PORT</c>.</summary>
    public string Address => P2PShare.Protocol.HostPort.FormatEndPoint(Host, Port);
}

/// <summary>A running <c>p2pshare peer</c>.</summary>
public sealed record PeerHandle(string Name, CliProcess Process, int Port, string ShareFolder, string DownloadsFolder, int SharedFiles)
{
    public string SharedPath(string name) => Path.Combine(ShareFolder, name);

    public string DownloadedPath(string name) => Path.Combine(DownloadsFolder, name);
}

/// <summary>One file of a <c>search --json</c> answer.</summary>
public sealed record SearchFile(string Name, long Size, string Id);

/// <summary>One peer of a <c>search --json</c> answer.</summary>
public sealed record SearchPeer(string Address, int Port, IReadOnlyList<SearchFile> Files);

/// <summary>
/// Everything one test starts: a temporary folder (<c>p2pshare-it-*</c> in the system temp folder)
/// and the processes it runs there. Disposing kills every process that is still running, copies
/// their output to the test output, and deletes the folder.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    public const string ServerLinePattern = @"^p2pshare directory listening on (?<host>\S+):(?<port>\d+)\s*$";
    /// <summary>The peer's start line; <c>, hashing N more</c> when its first scan was not done within its first second.</summary>
    public const string PeerLinePattern = @"^p2pshare peer listening on port (?<port>\d+), sharing (?<count>\d+) files?, registered with (?<server>\S+?)(?:, hashing (?<more>\d+) more)?\s*$";

    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(30);

    private readonly List<CliProcess> _processes = [];
    private readonly Lock _lock = new();

    public TestCluster()
    {
        Root = Path.Combine(Path.GetTempPath(), "p2pshare-it-" + Path.GetRandomFileName().Replace(".", "", StringComparison.Ordinal));
        System.IO.Directory.CreateDirectory(Root);
    }

    /// <summary>The test's own temporary folder.</summary>
    public string Root { get; }

    /// <summary>A folder under <see cref="Root"/>, created if needed.</summary>
    public string Folder(params string[] parts)
    {
        var path = Path.Combine([Root, .. parts]);
        System.IO.Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>The folder a peer named <paramref name="peer"/> shares.</summary>
    public string ShareFolder(string peer) => Folder(peer, "share");

    /// <summary>The folder a peer named <paramref name="peer"/> downloads into.</summary>
    public string DownloadsFolder(string peer) => Folder(peer, "downloads");

    /// <summary>Starts <c>p2pshare ARGS</c>; the process is killed when the cluster is disposed.</summary>
    public CliProcess Start(string name, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        var process = CliProcess.Start(name, arguments, workingDirectory ?? Root);
        lock (_lock)
        {
            _processes.Add(process);
        }

        return process;
    }

    /// <summary>
    /// Starts <c>p2pshare server --listen 127.0.0.1:PORT</c> (0 by default: a free one) and reads
    /// its real port from the startup line. <paramref name="arguments"/> are added to the command
    /// line (e.g. <c>--ping-interval 1</c>). <paramref name="listen"/> listens elsewhere: <c>::1</c>
    /// (IPv6 only) or <c>::</c> (both families; the handle then reaches it over IPv4).
    /// </summary>
    public async Task<ServerHandle> StartServerAsync(string name = "server", int port = 0, IEnumerable<string>? arguments = null, System.Net.IPAddress? listen = null)
    {
        listen ??= System.Net.IPAddress.Loopback;
        var process = Start(name, ["server", "--listen", P2PShare.Protocol.HostPort.FormatEndPoint(listen, port), .. arguments ?? []]);
        var line = await process.ExpectAsync(ServerLinePattern, StartupTimeout);
        Assert.Equal(listen.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{listen}]" : listen.ToString(), line.Groups["host"].Value);
        var listening = int.Parse(line.Groups["port"].Value, CultureInfo.InvariantCulture);
        Assert.InRange(listening, 1, 65535);
        var host = listen.Equals(System.Net.IPAddress.IPv6Any) ? System.Net.IPAddress.Loopback : listen;
        return new ServerHandle(process, listening) { Host = host };
    }

    /// <summary>
    /// Starts <c>p2pshare peer</c> on port 0 sharing <see cref="ShareFolder"/> of <paramref name="name"/>
    /// (fill it first) and waits until it is listening and registered. <paramref name="arguments"/>
    /// (more options, such as <c>--max-per-address 1</c>) go after the usual ones.
    /// <paramref name="sharedFiles"/>: how many files it must say it shares, when not every
    /// file in the folder is shareable. <paramref name="downloadsInShare"/>: the peer downloads
    /// into its shared folder (<c>--downloads</c> the same as <c>--share</c>).
    /// </summary>
    public async Task<PeerHandle> StartPeerAsync(ServerHandle server, string name, long? uploadLimit = null, bool menu = false, IEnumerable<string>? arguments = null, int? sharedFiles = null, bool downloadsInShare = false)
    {
        ArgumentNullException.ThrowIfNull(server);
        var share = ShareFolder(name);
        var downloads = downloadsInShare ? share : DownloadsFolder(name);
        // Each peer gets its own hash cache inside the test's folder, never the user's.
        var command = new List<string> { "peer", "--server", server.Address, "--port", "0", "--share", share, "--downloads", downloads, "--state", Path.Combine(Folder(name), "state") };
        if (uploadLimit is { } limit)
        {
            command.AddRange(["--upload-limit", limit.ToString(CultureInfo.InvariantCulture)]);
        }

        if (!menu)
        {
            command.Add("--no-menu");
        }

        command.AddRange(arguments ?? []);
        var process = Start(name, command, Folder(name));
        var line = await process.ExpectAsync(PeerLinePattern, StartupTimeout);
        var port = int.Parse(line.Groups["port"].Value, CultureInfo.InvariantCulture);
        Assert.InRange(port, 1, 65535);
        Assert.Equal(server.Address, line.Groups["server"].Value);
        var count = int.Parse(line.Groups["count"].Value, CultureInfo.InvariantCulture);
        var expected = sharedFiles ?? System.IO.Directory.GetFiles(share, "*", SearchOption.AllDirectories).Length;
        if (line.Groups["more"].Success && count < expected)
        {
            // Large files are still being hashed; they are announced as they are done. Callers
            // expect every file to be searchable once the peer is started, so wait for them.
            await RawClient.SearchUntilAsync(server.Port, "", results => results.Where(p => p.Port == port).Sum(p => p.Files.Count) >= expected, StartupTimeout, server.Host);
            count = expected;
        }

        Assert.Equal(expected, count);
        return new PeerHandle(name, process, port, share, downloads, count);
    }

    /// <summary>Runs a command to its end (stdin closed at once) and returns what it did.</summary>
    public async Task<CliResult> RunAsync(IEnumerable<string> arguments, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var list = arguments.ToList();
        var process = Start(list.Count > 0 ? list[0] : "p2pshare", list, workingDirectory);
        process.CloseInput();
        var exitCode = await process.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(60));
        return new CliResult(exitCode, process.Stdout.ToString(), process.Stderr.ToString(), process.Describe($"{process.CommandLine} exited with code {exitCode}"));
    }

    /// <summary>Runs <c>p2pshare search QUERY --server ... --json</c>, expects exit code 0 and parses the JSON.</summary>
    public async Task<IReadOnlyList<SearchPeer>> SearchJsonAsync(ServerHandle server, string query)
    {
        ArgumentNullException.ThrowIfNull(server);
        var result = await RunAsync(["search", query, "--server", server.Address, "--json"]);
        Assert.True(result.ExitCode == 0, result.Description);
        try
        {
            return ParseSearchJson(result.Stdout);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new InvalidOperationException($"search --json printed something that is not the agreed JSON ({ex.Message}):\n{result.Description}", ex);
        }
    }

    /// <summary>
    /// Parses <c>[{"address","port","files":[{"name","size","id"}]}]</c> strictly: address and id
    /// must be strings, port and size numbers.
    /// </summary>
    public static IReadOnlyList<SearchPeer> ParseSearchJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidOperationException($"the JSON is a {document.RootElement.ValueKind}, not an array");
        }

        var peers = new List<SearchPeer>();
        foreach (var peer in document.RootElement.EnumerateArray())
        {
            var files = new List<SearchFile>();
            foreach (var file in peer.GetProperty("files").EnumerateArray())
            {
                files.Add(new SearchFile(
                    file.GetProperty("name").GetString()!,
                    file.GetProperty("size").GetInt64(),
                    file.GetProperty("id").GetString()!));
            }

            peers.Add(new SearchPeer(peer.GetProperty("address").GetString()!, peer.GetProperty("port").GetInt32(), files));
        }

        return peers;
    }

    public async ValueTask DisposeAsync()
    {
        List<CliProcess> processes;
        lock (_lock)
        {
            processes = [.. _processes];
            _processes.Clear();
        }

        // Newest first: peers go before the server they registered with, which keeps their logs quiet.
        for (var i = processes.Count - 1; i >= 0; i--)
        {
            await processes[i].DisposeAsync();
        }

        var output = TestContext.Current.TestOutputHelper;
        if (output is not null)
        {
            foreach (var process in processes)
            {
                try
                {
                    output.WriteLine(process.Describe($"[{process.Name}]"));
                }
                catch (InvalidOperationException)
                {
                    // No test is running any more to write to.
                }
            }
        }

        DeleteFolder(Root);
    }

    private static void DeleteFolder(string path)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                if (System.IO.Directory.Exists(path))
                {
                    System.IO.Directory.Delete(path, recursive: true);
                }

                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(200);
            }
        }
    }
}
