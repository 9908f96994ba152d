using System.Diagnostics.CodeAnalysis;
using P2PShare.Protocol;

namespace P2PShare.Directory;

/// <summary>
/// The default registry: everything in process memory, gone when the server stops (which is
/// right, since every registration lives exactly as long as its connection to this process).
/// </summary>
/// <remarks>
/// One plain lock guards all state. Every operation is short except <see cref="Search"/>, which
/// scans all files; a reader/writer lock would let searches overlap, but the scan is what has to
/// get faster (an index is planned), and a single lock keeps the replace/unregister races easy to
/// reason about. Results come out in a fixed order: peers in registration order (a replaced
/// registration counts as new), each peer's files in ordinal name order.
/// </remarks>
public sealed class InMemoryPeerRegistry : IPeerRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<PeerKey, Registration> _byPeer = [];

    // The same registrations keyed by generation, which increases with every REGISTER, so
    // iterating it gives registration order.
    private readonly SortedDictionary<long, Registration> _byGeneration = [];
    private long _lastGeneration;
    private int _fileCount;

    public int PeerCount
    {
        get
        {
            lock (_lock)
            {
                return _byPeer.Count;
            }
        }
    }

    public int FileCount
    {
        get
        {
            lock (_lock)
            {
                return _fileCount;
            }
        }
    }

    public RegistrationToken Register(PeerKey peer, IReadOnlyList<FileEntry> files)
    {
        ArgumentNullException.ThrowIfNull(peer.Address, nameof(peer));
        ArgumentNullException.ThrowIfNull(files);

        // The new file table is built outside the lock; only the swap needs it.
        var table = new SortedDictionary<string, FileEntry>(StringComparer.Ordinal);
        AddEntries(table, files);

        lock (_lock)
        {
            if (_byPeer.TryGetValue(peer, out var previous))
            {
                RemoveRegistration(previous);
            }

            var token = new RegistrationToken(peer, ++_lastGeneration);
            var registration = new Registration(token, table);
            _byPeer.Add(peer, registration);
            _byGeneration.Add(token.Generation, registration);
            _fileCount += table.Count;
            return token;
        }
    }

    public int? Add(RegistrationToken token, IReadOnlyList<FileEntry> files)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(files);
        lock (_lock)
        {
            if (!TryGetCurrent(token, out var registration))
            {
                return null;
            }

            var before = registration.Files.Count;
            AddEntries(registration.Files, files);
            _fileCount += registration.Files.Count - before;
            return registration.Files.Count;
        }
    }

    public int? Remove(RegistrationToken token, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(names);
        lock (_lock)
        {
            if (!TryGetCurrent(token, out var registration))
            {
                return null;
            }

            foreach (var name in names)
            {
                ArgumentNullException.ThrowIfNull(name, nameof(names));
                if (registration.Files.Remove(name))
                {
                    _fileCount--;
                }
            }

            return registration.Files.Count;
        }
    }

    public bool Unregister(RegistrationToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        lock (_lock)
        {
            if (!TryGetCurrent(token, out var registration))
            {
                return false;
            }

            RemoveRegistration(registration);
            return true;
        }
    }

    public IReadOnlyList<PeerFiles> Search(string query, PeerKey? exclude, int maxFiles)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(maxFiles);
        var matcher = new SearchQuery(query);
        var results = new List<PeerFiles>();
        var remaining = maxFiles;
        lock (_lock)
        {
            foreach (var registration in _byGeneration.Values)
            {
                if (remaining == 0)
                {
                    break;
                }

                var peer = registration.Token.Peer;
                if (exclude == peer)
                {
                    continue;
                }

                List<FileEntry>? matches = null;
                foreach (var entry in registration.Files.Values)
                {
                    if (matcher.Matches(entry.Name))
                    {
                        (matches ??= []).Add(entry);
                        if (--remaining == 0)
                        {
                            break;
                        }
                    }
                }

                if (matches is not null)
                {
                    results.Add(new PeerFiles(peer.Address, peer.Port, matches));
                }
            }
        }

        return results;
    }

    private static void AddEntries(SortedDictionary<string, FileEntry> table, IReadOnlyList<FileEntry> files)
    {
        foreach (var entry in files)
        {
            ArgumentNullException.ThrowIfNull(entry, nameof(files));
            table[entry.Name] = entry; // the last entry of a name wins
        }
    }

    /// <summary>Finds the registration <paramref name="token"/> names, if it is still the current one.</summary>
    private bool TryGetCurrent(RegistrationToken token, [NotNullWhen(true)] out Registration? registration)
    {
        if (_byPeer.TryGetValue(token.Peer, out var current) && current.Token.Equals(token))
        {
            registration = current;
            return true;
        }

        registration = null;
        return false;
    }

    private void RemoveRegistration(Registration registration)
    {
        _byPeer.Remove(registration.Token.Peer);
        _byGeneration.Remove(registration.Token.Generation);
        _fileCount -= registration.Files.Count;
    }

    /// <summary>One generation of one peer's registration and its files, by name.</summary>
    private sealed class Registration(RegistrationToken token, SortedDictionary<string, FileEntry> files)
    {
        public RegistrationToken Token { get; } = token;

        public SortedDictionary<string, FileEntry> Files { get; } = files;
    }
}
