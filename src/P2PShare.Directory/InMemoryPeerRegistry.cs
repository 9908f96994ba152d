using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using P2PShare.Directory.Search;
using P2PShare.Protocol;

namespace P2PShare.Directory;

/// <summary>
/// The default registry: everything in process memory, gone when the server stops (which is
/// right, since every registration lives exactly as long as its connection to this process).
/// </summary>
/// <remarks>
/// <para>
/// Files live in a <see cref="FileTable"/>: one array of plain structs, names as UTF-8 in an
/// arena, and a trigram index over the names, so a search looks only at the entries that
/// contain all the query's trigrams (see <see cref="FileMatcher"/>). Each peer keeps the set of
/// its entry ids, compared by name (<see cref="EntryNameComparer"/>), for ADD, REMOVE and
/// unregistering. Removed entries are only marked dead; once dead entries are more than half as
/// many as live ones (and at least <c>minDeadToCompact</c>), the table is rebuilt with the
/// live ones, so peers that come and go do not make memory grow.
/// </para>
/// <para>
/// A reader/writer lock guards all state: searches share it, registrations take it alone, and
/// only for the appends (names are encoded and split into trigrams before, see
/// <see cref="PreparedFiles"/>). Searches remember what they found (<see cref="SearchCache"/>),
/// so a repeated query only looks at what changed since it was last answered. Results follow
/// the order defined on <see cref="IPeerRegistry"/>: entry ids are handed out in exactly that
/// sequence.
/// </para>
/// </remarks>
#pragma warning disable CA1001 // The lock only holds wait handles while threads wait; the registry lives as long as the server.
public sealed class InMemoryPeerRegistry : IPeerRegistry
#pragma warning restore CA1001
{
    /// <summary>Longest UTF-8 name encoded on the stack; longer ones are rented.</summary>
    private const int StackNameBytes = 1024;

    private const int NoPeer = -1;

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<PeerKey, PeerState> _byPeer = [];

    // Peer slots: what FileRecord.Peer refers to. A slot is reused once its peer is gone; its
    // old entries are dead by then, so they cannot be mistaken for the new peer's.
    private readonly List<PeerState?> _slots = [];
    private readonly Stack<int> _freeSlots = [];
    private readonly int _minDeadToCompact;
    private readonly SearchCache? _cache;
    private FileTable _table = new();
    private EntryNameComparer _comparer;
    private long _lastGeneration;
    private int _peerCount;
    private int _fileCount;

    public InMemoryPeerRegistry()
        : this(rememberSearches: true)
    {
    }

    /// <param name="rememberSearches">
    /// Keep the <see cref="SearchCache"/> (the default): a query asked before is answered from
    /// its earlier matches plus the files registered since. Off, every search goes to the index.
    /// </param>
    public InMemoryPeerRegistry(bool rememberSearches)
        : this(minDeadToCompact: 16 * 1024, rememberSearches)
    {
    }

    /// <summary>
    /// For tests and benchmarks: compacts as soon as <paramref name="minDeadToCompact"/> entries
    /// are dead (and more than half as many as live ones); <paramref name="rememberSearches"/>
    /// turns the <see cref="SearchCache"/> on or off.
    /// </summary>
    internal InMemoryPeerRegistry(int minDeadToCompact, bool rememberSearches)
    {
        _minDeadToCompact = minDeadToCompact;
        _comparer = new EntryNameComparer(_table);
        _cache = rememberSearches ? new SearchCache() : null;
    }

    public int PeerCount => Volatile.Read(ref _peerCount);

    public int FileCount => Volatile.Read(ref _fileCount);

    /// <summary>Entries removed but not yet compacted away (for tests and memory figures).</summary>
    internal int DeadEntryCount
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _table.DeadCount;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Bytes of the file table's arrays (records, names, postings), for memory figures.</summary>
    internal long TableBytes
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _table.AllocatedBytes;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    public RegistrationToken Register(PeerKey peer, IReadOnlyList<FileEntry> files)
    {
        ArgumentNullException.ThrowIfNull(peer.Address, nameof(peer));
        // Encoding and trigrams need no lock: only the appends are done under it.
        var prepared = PreparedFiles.ForThisThread();
        prepared.Prepare(files);
        return Register(peer, prepared);
    }

    public RegistrationToken Register(PeerKey peer, FileEntryEnumerator files)
    {
        ArgumentNullException.ThrowIfNull(peer.Address, nameof(peer));
        var prepared = PreparedFiles.ForThisThread();
        prepared.Prepare(files);
        return Register(peer, prepared);
    }

    private RegistrationToken Register(PeerKey peer, PreparedFiles prepared)
    {
        _lock.EnterWriteLock();
        try
        {
            if (_byPeer.Remove(peer, out var previous))
            {
                Drop(previous);
            }

            var token = new RegistrationToken(peer, ++_lastGeneration);
            var slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : AddSlot();
            var state = new PeerState(token, slot, new HashSet<int>(prepared.Count, _comparer));
            _slots[slot] = state;
            _byPeer.Add(peer, state);
            Volatile.Write(ref _peerCount, _byPeer.Count);
            AppendFiles(state, prepared);
            CompactIfWasteful();
            return token;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public int? Add(RegistrationToken token, IReadOnlyList<FileEntry> files)
    {
        ArgumentNullException.ThrowIfNull(token);
        var prepared = PreparedFiles.ForThisThread();
        prepared.Prepare(files);
        return Add(token, prepared);
    }

    public int? Add(RegistrationToken token, FileEntryEnumerator files)
    {
        ArgumentNullException.ThrowIfNull(token);
        var prepared = PreparedFiles.ForThisThread();
        prepared.Prepare(files);
        return Add(token, prepared);
    }

    private int? Add(RegistrationToken token, PreparedFiles prepared)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!TryGetCurrent(token, out var state))
            {
                return null;
            }

            AppendFiles(state, prepared);
            CompactIfWasteful();
            return state.Files.Count;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public int? Remove(RegistrationToken token, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(names);
        foreach (var name in names)
        {
            ArgumentNullException.ThrowIfNull(name, nameof(names));
        }

        _lock.EnterWriteLock();
        try
        {
            if (!TryGetCurrent(token, out var state))
            {
                return null;
            }

            var lookup = state.Files.GetAlternateLookup<ReadOnlySpan<byte>>();
            Span<byte> stack = stackalloc byte[StackNameBytes];
            var fileCount = _fileCount;
            foreach (var name in names)
            {
                var rented = EncodeName(name, stack, out var utf8);
                try
                {
                    if (lookup.TryGetValue(utf8, out var id))
                    {
                        state.Files.Remove(id);
                        _table.Kill(id);
                        fileCount--;
                    }
                }
                finally
                {
                    ReturnName(rented);
                }
            }

            Volatile.Write(ref _fileCount, fileCount);
            CompactIfWasteful();
            return state.Files.Count;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public bool Unregister(RegistrationToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        _lock.EnterWriteLock();
        try
        {
            if (!TryGetCurrent(token, out var state))
            {
                return false;
            }

            _byPeer.Remove(token.Peer);
            Drop(state);
            CompactIfWasteful();
            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public int? FileCountOf(RegistrationToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        _lock.EnterReadLock();
        try
        {
            return TryGetCurrent(token, out var state) ? state.Files.Count : null;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public IReadOnlyList<PeerFiles> Search(string query, PeerKey? exclude, int maxFiles)
    {
        ArgumentNullException.ThrowIfNull(query);
        var collector = new PeerFilesCollector();
        Search(query, exclude, maxFiles, collector);
        return collector.Peers;
    }

    public void Search(ReadOnlySpan<char> query, PeerKey? exclude, int maxFiles, ISearchResultSink sink)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxFiles);
        ArgumentNullException.ThrowIfNull(sink);
        if (maxFiles == 0)
        {
            return;
        }

        var scratch = SearchScratch.ForThisThread();
        scratch.Plan.Parse(query); // outside the lock: it needs nothing shared
        var matches = scratch.Matches;
        matches.Clear();
        _lock.EnterReadLock();
        try
        {
            var excluded = exclude is { } key && _byPeer.TryGetValue(key, out var state) ? state.Slot : NoPeer;
            if (_cache is null)
            {
                scratch.Matcher.FindMatches(_table, scratch.Plan, excluded, 0, maxFiles, matches);
            }
            else
            {
                FindMatchesRemembered(query, maxFiles, excluded, scratch);
            }

            Emit(scratch, sink);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// The search through the <see cref="SearchCache"/>. What is remembered is a query's matches
    /// with nobody left out, so that one entry serves every peer that asks (a peer searches over
    /// its own REGISTER connection, which leaves its own files out): the asker's files are taken
    /// out afterwards, and when that leaves fewer than <paramref name="maxFiles"/> of a result
    /// that had been cut at the limit, the search goes on past it for the asker alone.
    /// </summary>
    private void FindMatchesRemembered(ReadOnlySpan<char> query, int maxFiles, int excluded, SearchScratch scratch)
    {
        var cache = _cache!;
        var matches = scratch.Matches;
        var remembered = cache.Find(query, maxFiles);
        var firstId = 0;
        if (remembered is not null)
        {
            // What matched before still does, unless it died since.
            foreach (var id in remembered.Ids)
            {
                if (_table[id].IsAlive)
                {
                    matches.Add(id);
                }
            }

            firstId = remembered.SearchedTo;
        }

        scratch.Matcher.FindMatches(_table, scratch.Plan, NoPeer, firstId, maxFiles, matches);
        var cutAtLimit = matches.Count == maxFiles;
        var searchedTo = cutAtLimit ? matches[^1] + 1 : _table.Count;
        if (remembered is null || remembered.SearchedTo != searchedTo || remembered.Ids.Length != matches.Count)
        {
            cache.Remember(query, maxFiles, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(matches), searchedTo);
        }

        if (excluded == NoPeer)
        {
            return;
        }

        var kept = 0;
        for (var i = 0; i < matches.Count; i++)
        {
            if (_table[matches[i]].Peer != excluded)
            {
                matches[kept++] = matches[i];
            }
        }

        if (kept < matches.Count)
        {
            matches.RemoveRange(kept, matches.Count - kept);
            if (cutAtLimit)
            {
                scratch.Matcher.FindMatches(_table, scratch.Plan, excluded, searchedTo, maxFiles, matches);
            }
        }
    }

    /// <summary>Rebuilds the file table with the live entries only (for tests; normally done when half the entries are dead).</summary>
    internal void Compact()
    {
        _lock.EnterWriteLock();
        try
        {
            CompactNow();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>The UTF-8 of <paramref name="name"/> in <paramref name="stack"/> or in a rented array (returned by <see cref="ReturnName"/>).</summary>
    private static byte[]? EncodeName(string name, Span<byte> stack, out ReadOnlySpan<byte> utf8)
    {
        byte[]? rented = null;
        var buffer = stack;
        if (name.Length * 3 > stack.Length)
        {
            rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(name.Length));
            buffer = rented;
        }

        utf8 = buffer[..Encoding.UTF8.GetBytes(name, buffer)];
        return rented;
    }

    private static void ReturnName(byte[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Appends prepared files to a peer; a file replaces the peer's file of the same name, which dies.</summary>
    private void AppendFiles(PeerState state, PreparedFiles files)
    {
        var lookup = state.Files.GetAlternateLookup<ReadOnlySpan<byte>>();
        var fileCount = _fileCount;
        for (var i = 0; i < files.Count; i++)
        {
            var name = files.Name(i);
            if (lookup.TryGetValue(name, out var replaced))
            {
                state.Files.Remove(replaced);
                _table.Kill(replaced);
                fileCount--;
            }

            state.Files.Add(_table.Append(name, files.TrigramsOf(i), files.Size(i), files.Id(i), state.Slot));
            fileCount++;
        }

        Volatile.Write(ref _fileCount, fileCount);
    }

    /// <summary>Finds the registration <paramref name="token"/> names, if it is still the current one.</summary>
    private bool TryGetCurrent(RegistrationToken token, [NotNullWhen(true)] out PeerState? state)
    {
        if (_byPeer.TryGetValue(token.Peer, out var current) && current.Token.Equals(token))
        {
            state = current;
            return true;
        }

        state = null;
        return false;
    }

    private int AddSlot()
    {
        _slots.Add(null);
        return _slots.Count - 1;
    }

    /// <summary>Kills a peer's entries and frees its slot; the caller has removed it from <see cref="_byPeer"/>.</summary>
    private void Drop(PeerState state)
    {
        foreach (var id in state.Files)
        {
            _table.Kill(id);
        }

        Volatile.Write(ref _fileCount, _fileCount - state.Files.Count);
        Volatile.Write(ref _peerCount, _byPeer.Count);
        _slots[state.Slot] = null;
        _freeSlots.Push(state.Slot);
    }

    private void CompactIfWasteful()
    {
        var dead = _table.DeadCount;
        if (dead >= _minDeadToCompact && dead > _table.LiveCount / 2)
        {
            CompactNow();
        }
    }

    private void CompactNow()
    {
        var newIds = new int[_table.Count];
        var table = _table.CopyLiveEntries((oldId, newId) => newIds[oldId] = newId);
        var comparer = new EntryNameComparer(table);
        foreach (var state in _slots)
        {
            if (state is null)
            {
                continue;
            }

            var files = new HashSet<int>(state.Files.Count, comparer);
            foreach (var oldId in state.Files)
            {
                files.Add(newIds[oldId]);
            }

            state.Files = files;
        }

        _table = table;
        _comparer = comparer;
        if (_cache is not null)
        {
            // Ids were renumbered: what the cache remembers no longer means anything.
            _cache.Epoch++;
            _cache.Clear();
        }
    }

    /// <summary>Hands the matches to the sink grouped per peer: peers in order of their first match, matches in id order.</summary>
    private void Emit(SearchScratch scratch, ISearchResultSink sink)
    {
        var matches = scratch.Matches;
        if (matches.Count == 0)
        {
            return;
        }

        var groupOf = scratch.GroupOfPeer;
        var peers = scratch.GroupPeers;
        var counts = scratch.GroupCounts;
        groupOf.Clear();
        peers.Clear();
        counts.Clear();
        foreach (var id in matches)
        {
            var peer = _table[id].Peer;
            if (!groupOf.TryGetValue(peer, out var group))
            {
                group = peers.Count;
                groupOf.Add(peer, group);
                peers.Add(peer);
                counts.Add(0);
            }

            counts[group]++;
        }

        if (scratch.Ordered.Length < matches.Count)
        {
            scratch.Ordered = new int[Math.Max(matches.Count, 2 * scratch.Ordered.Length)];
        }

        // Counting sort by group: counts become each group's next free position.
        var ordered = scratch.Ordered;
        var position = 0;
        for (var group = 0; group < counts.Count; group++)
        {
            var count = counts[group];
            counts[group] = position;
            position += count;
        }

        foreach (var id in matches)
        {
            ordered[counts[groupOf[_table[id].Peer]]++] = id;
        }

        var start = 0;
        for (var group = 0; group < peers.Count; group++)
        {
            var end = counts[group];
            sink.BeginPeer(_slots[peers[group]]!.Token.Peer, end - start);
            for (var i = start; i < end; i++)
            {
                var id = ordered[i];
                ref readonly var record = ref _table[id];
                sink.AddFile(_table.Name(id), record.Size, record.Id);
            }

            start = end;
        }
    }

    /// <summary>One generation of one peer's registration: its slot and its entries (compared by name).</summary>
    private sealed class PeerState(RegistrationToken token, int slot, HashSet<int> files)
    {
        public RegistrationToken Token { get; } = token;

        public int Slot { get; } = slot;

        public HashSet<int> Files { get; set; } = files;
    }

    /// <summary>Builds the objects <see cref="Search(string, PeerKey?, int)"/> returns.</summary>
    private sealed class PeerFilesCollector : ISearchResultSink
    {
        private List<FileEntry>? _files;

        public List<PeerFiles> Peers { get; } = [];

        public void BeginPeer(PeerKey peer, int fileCount)
        {
            _files = new List<FileEntry>(fileCount);
            Peers.Add(new PeerFiles(peer.Address, peer.Port, _files));
        }

        public void AddFile(ReadOnlySpan<byte> utf8Name, ulong size, in ContentId id) =>
            _files!.Add(new FileEntry(Encoding.UTF8.GetString(utf8Name), size, id));
    }
}
