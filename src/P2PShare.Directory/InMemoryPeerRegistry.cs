using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
/// arena, and an index of the names by their words, so a search looks only at the entries
/// whose words contain the query's rarest part (see <see cref="FileMatcher"/>). Each peer keeps the set of
/// its entry ids, compared by name (<see cref="EntryNameComparer"/>), for ADD, REMOVE and
/// unregistering. Removed entries are only marked dead; once dead entries are more than half as
/// many as live ones (and at least <c>minDeadToCompact</c>), or take room the memory budget
/// needs, the table is rebuilt with the live ones (<see cref="TableCompaction"/>), so peers that
/// come and go do not make memory grow.
/// </para>
/// <para>
/// One lock guards all state, and nobody holds it for long, so that no client can make the
/// others wait: it alternates between readers and writers (<see cref="PhaseFairLock"/>); a
/// search runs in slices of bounded work and gives the lock and its thread up between them
/// (a query that needs more than <see cref="SearchLimits.MaxWork"/> in all is answered with what
/// it found); a compaction copies the table a slice at a time under the read lock and only
/// catches up under the write lock; a registration prepares its names and words and checks
/// its quotas before it takes the write lock for the appends, and its size is bounded by the
/// per-peer quota.
/// </para>
/// <para>
/// Quotas (<see cref="RegistrationQuotas"/>) are kept by a <see cref="RegistrationLedger"/>: a
/// request is refused whole, before anything changes, with a <see cref="RequestRefusedException"/>.
/// Memory is estimated before (the words no name had yet are looked up, a slice at a time,
/// under the read lock) and charged as measured after.
/// </para>
/// <para>
/// LOCATE walks the entries of one content id (<see cref="ContentIdIndex"/>, kept by the
/// table, so a compaction rebuilds it with the rest) and the peers' holdings in part, which
/// live with each registration (at most <see cref="RegistrationQuotas.MaxPartialPerPeer"/>,
/// each charged <c>HoldingBytes</c> of memory) and in one set per content id. A LOCATE looks at
/// no more than <see cref="MaxLocateWork"/> entries and as many holdings, so a content
/// registered a million times costs no more to locate than one registered that many times.
/// </para>
/// <para>
/// Searches remember what they found (<see cref="SearchCache"/>), so a repeated query only looks
/// at what changed since it was last answered. A search finds every match (within its budget)
/// and ranks them as defined on <see cref="IPeerRegistry"/> (<see cref="SearchRanking"/>);
/// entry ids are handed out in registration order, the last key of the rank.
/// </para>
/// </remarks>
public sealed class InMemoryPeerRegistry : IPeerRegistry
{
    /// <summary>Longest UTF-8 name encoded on the stack; longer ones are rented.</summary>
    private const int StackNameBytes = 1024;

    private const int NoPeer = -1;

    /// <summary>Work a search does per hold of the lock (see <see cref="FileMatcher.FindMatches"/>).</summary>
    private const int SearchSliceWork = 32 * 1024;

    /// <summary>Entries a compaction copies per hold of the read lock.</summary>
    private const int CompactionSliceEntries = 8 * 1024;

    /// <summary>Words looked up per hold of the read lock while estimating a registration.</summary>
    private const int EstimateSliceWords = 64 * 1024;

    /// <summary>
    /// Memory an entry costs besides its name and postings: its 56-byte record (in an array that
    /// may be up to twice as long as it is full), its place in its peer's set and, when other
    /// entries have its content, its slot in the count of each peer's contents (12 bytes, up to
    /// twice over).
    /// </summary>
    private const int EntryBytes = 104;

    /// <summary>
    /// Memory a word no name had before costs besides its characters: its list of entries, its
    /// slots in the table, its place in the <see cref="TokenDictionary"/>.
    /// </summary>
    private const int NewWordBytes = 160;

    /// <summary>
    /// Memory per character of a new word: the character in the <see cref="TokenDictionary"/>
    /// and its two pieces (a pair and a trigram) in the dictionary's index, with room for the
    /// few new pieces <see cref="NewTokenBits"/> misses (a collision makes its count low).
    /// </summary>
    private const int NewWordCharBytes = 16;

    /// <summary>Memory a piece (two or three characters) no word had before costs: its list and its slots in the table.</summary>
    private const int NewPieceBytes = 120;

    /// <summary>
    /// The first array of a new list (a block of one id), which the lists' bytes count when
    /// charged: the estimate adds it to every new word and piece, so that it is never below
    /// the charge.
    /// </summary>
    private const int FirstListArrayBytes = 32;

    /// <summary>Memory a posting costs at least (a delta of a byte or two, with its block's share).</summary>
    private const int PostingBytes = 2;

    /// <summary>Per entry, what a peer's set of entry ids costs (counted in the budget, not in the table).</summary>
    private const int PeerSetEntryBytes = 24;

    /// <summary>
    /// Memory one content held in part costs: its <c>PartialHolding</c> and its places in the
    /// peer's dictionary and in the content's set (charged like an entry's memory).
    /// </summary>
    private const int HoldingBytes = 160;

    private readonly PhaseFairLock _lock = new();
    private readonly Dictionary<PeerKey, PeerState> _byPeer = [];

    // Who holds each content in part (HOLD), for LOCATE; each holding is also in its peer's state.
    private readonly Dictionary<ContentId, HashSet<PartialHolding>> _partialHolders = [];

    // Peer slots: what FileRecord.Peer refers to. A slot is reused once its peer is gone; its
    // old entries are dead by then, so they cannot be mistaken for the new peer's.
    private readonly List<PeerState?> _slots = [];
    private readonly Stack<int> _freeSlots = [];

    // Each slot's peer, beside _slots: an answer names the peer of every group of matches, and
    // reading it here, in one array, spares following the state, its token and its address.
    private readonly List<WirePeer> _slotPeers = [];
    private readonly int _minDeadToCompact;
    private readonly SearchCache? _cache;
    private readonly SearchLimits _searchLimits;
    private readonly RegistrationLedger _ledger;
    private readonly Stack<SearchScratch> _scratches = [];
    private readonly Lock _scratchLock = new();
    private readonly Stack<RegistrationRequest> _requests = [];
    private readonly Lock _requestLock = new();
    private FileTable _table = new();
    private EntryNameComparer _comparer;
    private TableCompaction? _compaction;
    private Task _compacting = Task.CompletedTask;
    private int _epoch;
    private long _lastGeneration;
    private int _peerCount;
    private int _fileCount;
    private int _holdingCount;
    private long _lastHoldSequence;

    [ThreadStatic]
    private static LocateScratch? _locateScratch;

    public InMemoryPeerRegistry()
        : this(rememberSearches: true)
    {
    }

    /// <param name="rememberSearches">
    /// Keep the <see cref="SearchCache"/> (the default): a query asked before is answered from
    /// its earlier matches plus the files registered since. Off, every search goes to the index.
    /// </param>
    public InMemoryPeerRegistry(bool rememberSearches)
        : this(new RegistrationQuotas(), new SearchLimits(), rememberSearches)
    {
    }

    public InMemoryPeerRegistry(RegistrationQuotas quotas, SearchLimits searchLimits, bool rememberSearches = true)
        : this(quotas, searchLimits, minDeadToCompact: 16 * 1024, rememberSearches)
    {
    }

    /// <summary>
    /// For tests and benchmarks: compacts as soon as <paramref name="minDeadToCompact"/> entries
    /// are dead (and more than half as many as live ones); <paramref name="rememberSearches"/>
    /// turns the <see cref="SearchCache"/> on or off.
    /// </summary>
    internal InMemoryPeerRegistry(int minDeadToCompact, bool rememberSearches)
        : this(new RegistrationQuotas(), new SearchLimits(), minDeadToCompact, rememberSearches)
    {
    }

    internal InMemoryPeerRegistry(RegistrationQuotas quotas, SearchLimits searchLimits, int minDeadToCompact, bool rememberSearches)
    {
        ArgumentNullException.ThrowIfNull(quotas);
        ArgumentNullException.ThrowIfNull(searchLimits);
        quotas.Validate();
        searchLimits.Validate();
        _minDeadToCompact = minDeadToCompact;
        _comparer = new EntryNameComparer(_table);
        _searchLimits = searchLimits;
        _ledger = new RegistrationLedger(quotas);
        _cache = rememberSearches ? new SearchCache(searchLimits.MaxCacheBytes) : null;
    }

    /// <summary>
    /// Most entries with the id one LOCATE looks at, and most holdings in part: the work of one
    /// search slice each. A LOCATE holds the read lock once, for about as long as two slices of a
    /// search do.
    /// </summary>
    internal const int MaxLocateWork = SearchSliceWork;

    public int PeerCount => Volatile.Read(ref _peerCount);

    public int FileCount => Volatile.Read(ref _fileCount);

    /// <summary>Entries removed but not yet compacted away (for tests and memory figures).</summary>
    internal int DeadEntryCount => Read(static registry => registry._table.DeadCount);

    /// <summary>Bytes of the file table's arrays (records, names, postings), for memory figures.</summary>
    internal long TableBytes => Read(static registry => registry._table.AllocatedBytes);

    /// <summary>Bytes the search cache counts (for tests).</summary>
    internal long SearchCacheBytes => _cache?.Bytes ?? 0;

    /// <summary>What the memory budget counts now: the table, a compaction's copy, the peers' sets.</summary>
    internal long IndexBytes => Read(static registry => registry.IndexBytesLocked());

    /// <summary>What the files of <paramref name="address"/>'s group are charged (for tests).</summary>
    internal (long Files, long NameBytes, long Memory) UsageOf(IPAddress address) =>
        Read(registry =>
        {
            var amount = registry._ledger.Of(AddressGroup.Of(address));
            return (amount.Files, amount.NameBytes, amount.Memory);
        });

    public RegistrationToken Register(PeerKey peer, IReadOnlyList<FileEntry> files)
    {
        ArgumentNullException.ThrowIfNull(peer.Address, nameof(peer));
        ArgumentNullException.ThrowIfNull(files);
        var request = BeginRequest(peer, replacing: true, files.Count, NameBytesOf(files));
        try
        {
            foreach (var file in files)
            {
                request.Files.Add(file);
                EstimateIfDue(request);
            }

            return Register(request);
        }
        finally
        {
            ReturnRequest(request);
        }
    }

    public RegistrationToken Register(PeerKey peer, FileEntryEnumerator files)
    {
        ArgumentNullException.ThrowIfNull(peer.Address, nameof(peer));
        var request = BeginRequest(peer, replacing: true, files.Count, NameBytesOf(files));
        try
        {
            foreach (var file in files)
            {
                request.Files.Add(file);
                EstimateIfDue(request);
            }

            return Register(request);
        }
        finally
        {
            ReturnRequest(request);
        }
    }

    public int? Add(RegistrationToken token, IReadOnlyList<FileEntry> files)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(files);
        var request = BeginRequest(token.Peer, replacing: false, files.Count, NameBytesOf(files));
        try
        {
            foreach (var file in files)
            {
                request.Files.Add(file);
                EstimateIfDue(request);
            }

            return Add(token, request);
        }
        finally
        {
            ReturnRequest(request);
        }
    }

    public int? Add(RegistrationToken token, FileEntryEnumerator files)
    {
        ArgumentNullException.ThrowIfNull(token);
        var request = BeginRequest(token.Peer, replacing: false, files.Count, NameBytesOf(files));
        try
        {
            foreach (var file in files)
            {
                request.Files.Add(file);
                EstimateIfDue(request);
            }

            return Add(token, request);
        }
        finally
        {
            ReturnRequest(request);
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

        _lock.EnterWrite();
        try
        {
            if (!TryGetCurrent(token, out var state))
            {
                return null;
            }

            Span<byte> stack = stackalloc byte[StackNameBytes];
            foreach (var name in names)
            {
                var rented = EncodeName(name, stack, out var utf8);
                try
                {
                    RemoveLocked(state, utf8);
                }
                finally
                {
                    ReturnName(rented);
                }
            }

            CompactIfWasteful();
            return state.Files.Count;
        }
        finally
        {
            _lock.ExitWrite();
        }
    }

    public int? Remove(RegistrationToken token, NameEnumerator names)
    {
        ArgumentNullException.ThrowIfNull(token);
        _lock.EnterWrite();
        try
        {
            if (!TryGetCurrent(token, out var state))
            {
                return null;
            }

            foreach (var name in names)
            {
                RemoveLocked(state, name);
            }

            CompactIfWasteful();
            return state.Files.Count;
        }
        finally
        {
            _lock.ExitWrite();
        }
    }

    public bool Unregister(RegistrationToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        _lock.EnterWrite();
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
            _lock.ExitWrite();
        }
    }

    public int? FileCountOf(RegistrationToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return Read(registry => registry.TryGetCurrent(token, out var state) ? state.Files.Count : (int?)null);
    }

    public IReadOnlyList<PeerFiles> Search(string query, PeerKey? exclude, int maxFiles)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(maxFiles);
        var collector = new PeerFilesCollector();
        var byteCount = Encoding.UTF8.GetByteCount(query);
        CheckQueryLength(byteCount);
        if (maxFiles == 0)
        {
            return collector.Peers;
        }

        var scratch = RentScratch();
        try
        {
            scratch.SetQuery(query);
            Begin(scratch, exclude, maxFiles);
            // The caller waits anyway; the lock is still given up between slices.
            while (!SearchSlice(scratch, collector))
            {
            }
        }
        finally
        {
            ReturnScratch(scratch);
        }

        return collector.Peers;
    }

    public ValueTask SearchAsync(ReadOnlyMemory<byte> queryUtf8, PeerKey? exclude, int maxFiles, ISearchResultSink sink, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxFiles);
        ArgumentNullException.ThrowIfNull(sink);
        CheckQueryLength(queryUtf8.Length);
        if (maxFiles == 0)
        {
            return ValueTask.CompletedTask;
        }

        var scratch = RentScratch();
        bool done;
        try
        {
            scratch.SetQuery(queryUtf8.Span);
            Begin(scratch, exclude, maxFiles);
            done = SearchSlice(scratch, sink);
        }
        catch
        {
            ReturnScratch(scratch);
            throw;
        }

        if (done)
        {
            // Most searches end in their first slice: no state machine, no allocation.
            ReturnScratch(scratch);
            return ValueTask.CompletedTask;
        }

        return ContinueSearchAsync(scratch, sink, cancellationToken);
    }

    public string Locate(ContentId id, PeerKey? exclude, int maxSources, List<LocatedSource> sources)
    {
        var name = string.Empty;
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentOutOfRangeException.ThrowIfNegative(maxSources);
        var scratch = _locateScratch ??= new LocateScratch();
        var wanted = sources.Count + maxSources;
        _lock.EnterRead();
        try
        {
            var excluded = exclude is { } key && _byPeer.TryGetValue(key, out var asker) ? asker.Slot : NoPeer;
            var work = MaxLocateWork;
            var newest = _table.NewestWithId(id);
            if (newest >= 0 && sources.Count < wanted)
            {
                // From the oldest entry with the id to the newest: whole holders in registration order.
                for (var entry = _table[newest].NextSameId; work > 0; entry = _table[entry].NextSameId)
                {
                    work--;
                    ref readonly var record = ref _table[entry];
                    if (record.IsAlive && record.Peer != excluded && scratch.Peers.Add(record.Peer))
                    {
                        sources.Add(new LocatedSource(_slots[record.Peer]!.Token.Peer, record.Size, HeldSource.WholeFile));
                        if (name.Length == 0)
                        {
                            name = System.Text.Encoding.UTF8.GetString(_table.Name(entry));
                        }

                        if (sources.Count == wanted)
                        {
                            break;
                        }
                    }

                    if (entry == newest)
                    {
                        break;
                    }
                }
            }

            if (sources.Count < wanted && _partialHolders.TryGetValue(id, out var holders))
            {
                // A bound of its own: whole entries flooding a content do not hide its partial holders.
                work = MaxLocateWork;
                var partial = scratch.Holdings;
                foreach (var holding in holders)
                {
                    if (work-- <= 0)
                    {
                        break;
                    }

                    if (holding.Peer.Slot != excluded && !scratch.Peers.Contains(holding.Peer.Slot))
                    {
                        partial.Add(holding);
                    }
                }

                partial.Sort(PartialHolding.MostHeldFirst);
                for (var i = 0; i < partial.Count && sources.Count < wanted; i++)
                {
                    sources.Add(new LocatedSource(partial[i].Peer.Token.Peer, partial[i].Size, partial[i].Held));
                }
            }
        }
        finally
        {
            _lock.ExitRead();
            scratch.Clear();
        }

        return name;
    }

    public int? Hold(RegistrationToken token, IReadOnlyList<HoldItem> items)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(items);
        // The last item of a repeated id wins: keep each id's last position, before the lock.
        var last = new Dictionary<ContentId, int>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            last[items[i].Id] = i;
        }

        _lock.EnterWrite();
        try
        {
            if (!TryGetCurrent(token, out var state))
            {
                return null;
            }

            var holdings = state.Holdings;
            var after = holdings.Count;
            foreach (var (id, i) in last)
            {
                var held = holdings.ContainsKey(id);
                after += items[i].Held == 0 ? (held ? -1 : 0) : (held ? 0 : 1);
            }

            var growth = after - holdings.Count;
            if (after > _ledger.Quotas.MaxPartialPerPeer && growth > 0)
            {
                throw new RequestRefusedException(
                    ErrorCode.Busy,
                    "--max-partial-per-peer",
                    $"refused: peer {token.Peer} would hold {after} contents in part, over the limit of {_ledger.Quotas.MaxPartialPerPeer} per peer (--max-partial-per-peer)");
            }

            if (growth > 0)
            {
                CheckLocked(token.Peer, state.Group, state.Amount, state.Amount + new RegisteredAmount(0, 0, (long)growth * HoldingBytes));
            }

            foreach (var (id, i) in last)
            {
                var item = items[i];
                if (item.Held == 0)
                {
                    if (holdings.Remove(id, out var withdrawn))
                    {
                        Forget(withdrawn);
                    }
                }
                else if (holdings.TryGetValue(id, out var holding))
                {
                    holding.Size = item.Size;
                    holding.Held = item.Held;
                }
                else
                {
                    holding = new PartialHolding(state, id, ++_lastHoldSequence) { Size = item.Size, Held = item.Held };
                    holdings.Add(id, holding);
                    if (!_partialHolders.TryGetValue(id, out var holders))
                    {
                        _partialHolders.Add(id, holders = []);
                    }

                    holders.Add(holding);
                    _holdingCount++;
                    ChargeHoldings(state, 1);
                }
            }

            return holdings.Count;
        }
        finally
        {
            _lock.ExitWrite();
        }
    }

    /// <summary>
    /// Rebuilds the file table with the live entries only, now (for tests; normally started in
    /// the background when many entries are dead). Waits for a compaction already under way.
    /// </summary>
    internal void Compact()
    {
        WaitForCompactions();
        Task started;
        _lock.EnterWrite();
        try
        {
            started = _compaction is null ? StartCompaction() : _compacting;
        }
        finally
        {
            _lock.ExitWrite();
        }

        started.GetAwaiter().GetResult();
        WaitForCompactions();
    }

    /// <summary>Waits until no compaction is under way (for tests: one that finishes may start the next).</summary>
    internal void WaitForCompactions()
    {
        while (true)
        {
            var running = Read(static registry => registry._compacting);
            running.GetAwaiter().GetResult();
            if (Read(registry => ReferenceEquals(registry._compacting, running)))
            {
                return;
            }
        }
    }

    private static long NameBytesOf(FileEntryEnumerator files)
    {
        long bytes = 0;
        foreach (var file in files)
        {
            bytes += file.NameUtf8.Length;
        }

        return bytes;
    }

    private static long NameBytesOf(IReadOnlyList<FileEntry> files)
    {
        long bytes = 0;
        foreach (var file in files)
        {
            ArgumentNullException.ThrowIfNull(file, nameof(files));
            bytes += Encoding.UTF8.GetByteCount(file.Name);
        }

        return bytes;
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

    /// <summary>Runs <paramref name="read"/> under the read lock.</summary>
    private T Read<T>(Func<InMemoryPeerRegistry, T> read)
    {
        _lock.EnterRead();
        try
        {
            return read(this);
        }
        finally
        {
            _lock.ExitRead();
        }
    }

    // ---- Registrations ----

    /// <summary>
    /// Checks the quotas that need only the size of a request (files, name bytes, a lower bound
    /// of its memory) before any work is spent on it, so that a flood of oversized requests costs
    /// little more than reading them; then hands out a request to prepare the files into.
    /// </summary>
    private RegistrationRequest BeginRequest(PeerKey peer, bool replacing, long files, long nameBytes)
    {
        var group = AddressGroup.Of(peer.Address);
        _lock.EnterRead();
        try
        {
            var current = _byPeer.GetValueOrDefault(peer)?.Amount ?? default;
            // What the request adds at least: an ADD may replace as many registered files as it
            // names (that is looked up as it is prepared), but its entries take memory anyway.
            var least = replacing
                ? new RegisteredAmount(files, nameBytes, (files * EntryBytes) + nameBytes)
                : current + new RegisteredAmount(Math.Max(0, files - current.Files), Math.Max(0, nameBytes - current.NameBytes), (files * EntryBytes) + nameBytes);
            if (_ledger.Check(peer, group, current, least, IndexBytesLocked()) is { } refused)
            {
                throw refused;
            }
        }
        finally
        {
            _lock.ExitRead();
        }

        RegistrationRequest? request = null;
        lock (_requestLock)
        {
            _requests.TryPop(out request);
        }

        request ??= new RegistrationRequest();
        request.Begin(peer, group, replacing, nameBytes);
        return request;
    }

    private void ReturnRequest(RegistrationRequest request)
    {
        request.Files.Clear();
        lock (_requestLock)
        {
            _requests.Push(request);
        }
    }

    /// <summary>
    /// Once enough words have been prepared since the last look, looks up which of them the
    /// index has never seen (a slice, under the read lock) and checks what the request costs so
    /// far against the quotas: a request that cannot fit is refused before the rest of it is
    /// prepared. A registration in a script no one used before creates a posting list for most
    /// of its words, which is what makes it expensive.
    /// </summary>
    private void EstimateIfDue(RegistrationRequest request, bool final = false)
    {
        var files = request.Files;
        if (files.WordCount - request.WordsLookedUp < EstimateSliceWords && !final)
        {
            return;
        }

        _lock.EnterRead();
        try
        {
            var state = _byPeer.GetValueOrDefault(request.Peer);
            if (request.FilesLookedUp == 0 && final)
            {
                // A request small enough to fit even if every word were new and no file
                // replaced another (an ordinary registration) needs no lookups.
                var worst = Estimate(files, files.WordCount, files.WordChars, 2 * files.WordChars);
                var before = state?.Amount ?? default;
                if (_ledger.Check(request.Peer, request.Group, before, request.Replacing ? worst : before + worst, IndexBytesLocked()) is null)
                {
                    request.NewWords = files.WordCount;
                    request.NewWordChars = files.WordChars;
                    request.NewPieces = 2 * files.WordChars;
                    request.FilesLookedUp = files.Count;
                    request.WordsLookedUp = files.WordCount;
                    return;
                }
            }

            var index = _table.EntriesByWord;
            var registered = state?.Files.GetAlternateLookup<ReadOnlySpan<byte>>();
            for (var file = request.FilesLookedUp; file < files.Count; file++)
            {
                var words = files.WordsOf(file);
                for (var i = 0; i < words.Count; i++)
                {
                    var key = words.Keys[i];
                    if (index.Contains(key))
                    {
                        continue;
                    }

                    if (request.NewWordBits.TrySet(key))
                    {
                        request.NewWords++;
                        request.NewWordChars += words.Word(i).Length;
                    }

                    // Counted whether or not the word's bit was free: a collision must not hide
                    // the pieces of a new word, which cost far more than the word itself.
                    request.NewPieces += _table.Words.CountNewPieces(words.Word(i), request.NewWordBits);
                }

                // An ADD of a name the peer has registered replaces that file: no file more.
                if (!request.Replacing && registered is { } lookup && lookup.Contains(files.Name(file)))
                {
                    request.Replaced += new RegisteredAmount(1, files.Name(file).Length, 0);
                }
            }

            request.FilesLookedUp = files.Count;
            request.WordsLookedUp = files.WordCount;
            var current = state?.Amount ?? default;
            // Keys the bits took for repeats are counted as new pieces, the dearest kind.
            var estimate = Estimate(files, request.NewWords, request.NewWordChars, request.NewPieces + request.NewWordBits.LikelyMissed);
            var after = request.Replacing ? estimate : current + estimate - request.Replaced;
            if (_ledger.Check(request.Peer, request.Group, current, after, IndexBytesLocked()) is { } refused)
            {
                throw refused;
            }
        }
        finally
        {
            _lock.ExitRead();
        }
    }

    private RegistrationToken Register(RegistrationRequest request)
    {
        EstimateIfDue(request, final: true);
        var peer = request.Peer;
        var prepared = request.Files;
        _lock.EnterWrite();
        try
        {
            _byPeer.TryGetValue(peer, out var previous);
            var before = previous?.Amount ?? default;
            CheckLocked(peer, request.Group, before, Estimate(prepared, request.NewWords, request.NewWordChars, request.NewPieces + request.NewWordBits.LikelyMissed));
            if (previous is not null)
            {
                _byPeer.Remove(peer);
                Drop(previous);
            }

            var token = new RegistrationToken(peer, ++_lastGeneration);
            var slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : AddSlot();
            var state = new PeerState(token, request.Group, slot, new HashSet<int>(prepared.Count, _comparer));
            _slots[slot] = state;
            _slotPeers[slot] = new WirePeer(peer);
            _byPeer.Add(peer, state);
            Volatile.Write(ref _peerCount, _byPeer.Count);
            AppendFiles(state, prepared);
            CompactIfWasteful();
            return token;
        }
        finally
        {
            _lock.ExitWrite();
        }
    }

    private int? Add(RegistrationToken token, RegistrationRequest request)
    {
        EstimateIfDue(request, final: true);
        _lock.EnterWrite();
        try
        {
            if (!TryGetCurrent(token, out var state))
            {
                return null;
            }

            CheckLocked(token.Peer, state.Group, state.Amount, state.Amount + Estimate(request.Files, request.NewWords, request.NewWordChars, request.NewPieces + request.NewWordBits.LikelyMissed) - request.Replaced);
            AppendFiles(state, request.Files);
            CompactIfWasteful();
            return state.Files.Count;
        }
        finally
        {
            _lock.ExitWrite();
        }
    }

    private void CheckLocked(PeerKey peer, IPAddress group, RegisteredAmount before, RegisteredAmount after)
    {
        if (_ledger.Check(peer, group, before, after, IndexBytesLocked()) is { } refused)
        {
            throw refused;
        }
    }

    /// <summary>
    /// What the prepared files will cost, with <paramref name="newWords"/> words (of
    /// <paramref name="newWordChars"/> characters, with <paramref name="newPieces"/> pieces) no
    /// name had before.
    /// </summary>
    private static RegisteredAmount Estimate(PreparedFiles prepared, long newWords, long newWordChars, long newPieces)
    {
        var memory = (prepared.Count * (long)EntryBytes) + prepared.NameBytes + ((long)prepared.WordCount * PostingBytes) + (newWords * (NewWordBytes + FirstListArrayBytes)) + (newWordChars * NewWordCharBytes) + (newPieces * (NewPieceBytes + FirstListArrayBytes));
        return new RegisteredAmount(prepared.Count, prepared.NameBytes, memory);
    }

    /// <summary>Appends prepared files to a peer; a file replaces the peer's file of the same name, which dies. Charges what they cost.</summary>
    private void AppendFiles(PeerState state, PreparedFiles files)
    {
        var lookup = state.Files.GetAlternateLookup<ReadOnlySpan<byte>>();
        var listBytes = _table.WordListBytes;
        var wordCount = _table.Words.Count;
        var pieceCount = _table.Words.PieceCount;
        var fileCount = _fileCount;
        long nameBytes = 0;
        for (var i = 0; i < files.Count; i++)
        {
            var name = files.Name(i);
            if (lookup.TryGetValue(name, out var replaced))
            {
                Kill(state, replaced);
                fileCount--;
            }

            state.Files.Add(_table.Append(name, files.WordsOf(i), files.Size(i), files.Id(i), state.Slot));
            nameBytes += name.Length;
            fileCount++;
        }

        var memory = (files.Count * (long)EntryBytes) + nameBytes + (_table.WordListBytes - listBytes) + ((long)(_table.Words.Count - wordCount) * NewWordBytes) + ((long)(_table.Words.PieceCount - pieceCount) * NewPieceBytes);
        Charge(state, new RegisteredAmount(files.Count, nameBytes, memory));
        state.Version++;
        Volatile.Write(ref _fileCount, fileCount);
    }

    private void RemoveLocked(PeerState state, ReadOnlySpan<byte> utf8)
    {
        var lookup = state.Files.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (lookup.TryGetValue(utf8, out var id))
        {
            Kill(state, id);
            state.Version++;
            Volatile.Write(ref _fileCount, _fileCount - 1);
        }
    }

    /// <summary>Removes one entry of a peer: from its set, from the table (it dies), and from what it is charged.</summary>
    private void Kill(PeerState state, int id)
    {
        var amount = state.Amount;
        // A peer's memory is charged by request, not by entry: an entry takes its share with it.
        var memory = amount.Files > 0 ? amount.Memory / amount.Files : 0;
        Charge(state, new RegisteredAmount(-1, -_table[id].NameLength, -memory));
        state.Files.Remove(id);
        _table.Kill(id);
    }

    private void Charge(PeerState state, RegisteredAmount change)
    {
        state.Amount += change;
        _ledger.Apply(state.Group, change);
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
        _slotPeers.Add(default);
        return _slots.Count - 1;
    }

    /// <summary>Kills a peer's entries and frees its slot; the caller has removed it from <see cref="_byPeer"/>.</summary>
    private void Drop(PeerState state)
    {
        foreach (var id in state.Files)
        {
            _table.Kill(id);
        }

        // What it held in part goes with the registration (the peer sends HOLD again after its next REGISTER).
        foreach (var holding in state.Holdings.Values)
        {
            Forget(holding);
        }

        state.Holdings.Clear();

        Volatile.Write(ref _fileCount, _fileCount - state.Files.Count);
        Volatile.Write(ref _peerCount, _byPeer.Count);
        _ledger.Apply(state.Group, -state.Amount);
        state.Amount = default;
        _slots[state.Slot] = null;
        _slotPeers[state.Slot] = default;
        _freeSlots.Push(state.Slot);
    }

    private long IndexBytesLocked() =>
        _table.AllocatedBytes + (_compaction?.AllocatedBytes ?? 0) + ((long)_fileCount * PeerSetEntryBytes) + ((long)_holdingCount * HoldingBytes);

    /// <summary>Takes a holding out of its content's set and uncharges it (the caller takes it out of its peer's dictionary).</summary>
    private void Forget(PartialHolding holding)
    {
        if (_partialHolders.TryGetValue(holding.Id, out var holders) && holders.Remove(holding) && holders.Count == 0)
        {
            _partialHolders.Remove(holding.Id);
        }

        _holdingCount--;
        ChargeHoldings(holding.Peer, -1);
    }

    /// <summary>Charges (or gives back) the memory of <paramref name="count"/> holdings to the peer's address; kept apart from <see cref="PeerState.Amount"/>, whose memory is shared out among the peer's files.</summary>
    private void ChargeHoldings(PeerState state, int count)
    {
        var change = new RegisteredAmount(0, 0, (long)count * HoldingBytes);
        state.HoldingAmount += change;
        _ledger.Apply(state.Group, change);
    }

    // ---- Compaction ----

    /// <summary>
    /// Starts a compaction (in the background) when dead entries are more than half as many as
    /// live ones, or when they hold an eighth of what the memory budget needs and the index is
    /// past three quarters of it. Under the write lock.
    /// </summary>
    private void CompactIfWasteful()
    {
        if (_compaction is not null)
        {
            return;
        }

        var dead = _table.DeadCount;
        var wasteful = dead >= _minDeadToCompact && dead > _table.LiveCount / 2;
        var tight = dead >= _minDeadToCompact && dead > _table.LiveCount / 8 && IndexBytesLocked() > _ledger.Quotas.MaxMemory / 4 * 3;
        if (wasteful || tight)
        {
            StartCompaction();
        }
    }

    /// <summary>Under the write lock: starts copying the table's live entries in the background.</summary>
    private Task StartCompaction()
    {
        _compaction = new TableCompaction(_table);
        _compacting = Task.Run(CompactInBackground);
        return _compacting;
    }

    private void CompactInBackground()
    {
        var compaction = _compaction!;
        try
        {
            var copied = false;
            while (!copied)
            {
                _lock.EnterRead();
                try
                {
                    copied = compaction.CopySlice(CompactionSliceEntries);
                }
                finally
                {
                    _lock.ExitRead();
                }
            }

            var sets = PrepareSets(compaction);
            _lock.EnterWrite();
            try
            {
                SwapIn(compaction, sets);
            }
            finally
            {
                _lock.ExitWrite();
            }
        }
        catch
        {
            _lock.EnterWrite();
            _compaction = null;
            _lock.ExitWrite();
            throw;
        }
    }

    /// <summary>
    /// Each peer's set of entry ids in the copy, made a few peers at a time under the read lock;
    /// a peer whose set changes afterwards (see <see cref="PeerState.Version"/>) has its set made
    /// again when the copy is swapped in.
    /// </summary>
    private Dictionary<PeerState, (int Version, HashSet<int> Files)> PrepareSets(TableCompaction compaction)
    {
        var sets = new Dictionary<PeerState, (int, HashSet<int>)>();
        var comparer = new EntryNameComparer(compaction.Copy);
        var slot = 0;
        while (true)
        {
            _lock.EnterRead();
            try
            {
                var budget = CompactionSliceEntries;
                for (; slot < _slots.Count && budget > 0; slot++)
                {
                    if (_slots[slot] is not { } state || !TryMap(compaction, comparer, state.Files, out var files))
                    {
                        continue;
                    }

                    sets[state] = (state.Version, files);
                    budget -= files.Count + 1;
                }

                if (slot >= _slots.Count)
                {
                    return sets;
                }
            }
            finally
            {
                _lock.ExitRead();
            }
        }
    }

    /// <summary>A peer's set mapped to the copy's ids; false when it holds entries added after the copy began.</summary>
    private static bool TryMap(TableCompaction compaction, EntryNameComparer comparer, HashSet<int> oldIds, [NotNullWhen(true)] out HashSet<int>? mapped)
    {
        mapped = null;
        foreach (var oldId in oldIds)
        {
            if (!compaction.WasCopied(oldId))
            {
                return false;
            }
        }

        // A live entry that existed when the copy began was live when it was copied.
        mapped = new HashSet<int>(oldIds.Count, comparer);
        foreach (var oldId in oldIds)
        {
            mapped.Add(compaction.NewId(oldId));
        }

        return true;
    }

    /// <summary>Under the write lock: catches the copy up with what changed, and makes it the table.</summary>
    private void SwapIn(TableCompaction compaction, Dictionary<PeerState, (int Version, HashSet<int> Files)> sets)
    {
        var table = compaction.Finish();
        var comparer = new EntryNameComparer(table);
        foreach (var state in _slots)
        {
            if (state is null)
            {
                continue;
            }

            if (sets.TryGetValue(state, out var prepared) && prepared.Version == state.Version)
            {
                state.Files = prepared.Files;
                continue;
            }

            var files = new HashSet<int>(state.Files.Count, comparer);
            foreach (var oldId in state.Files)
            {
                files.Add(compaction.NewId(oldId));
            }

            state.Files = files;
        }

        _table = table;
        _comparer = comparer;
        _compaction = null;
        _epoch++;
        if (_cache is not null)
        {
            // Ids were renumbered: what the cache remembers no longer means anything.
            _cache.Epoch = _epoch;
            _cache.Clear();
        }

        // What died while the copy was made is dead in the copy too: it may be worth another one.
        CompactIfWasteful();
    }

    // ---- Searches ----

    private void CheckQueryLength(int utf8Bytes)
    {
        if (utf8Bytes > _searchLimits.MaxQueryBytes)
        {
            throw new RequestRefusedException(
                ErrorCode.BadRequest,
                "--max-query-bytes",
                $"refused: a query of {utf8Bytes} bytes is longer than the limit of {_searchLimits.MaxQueryBytes} bytes (--max-query-bytes)");
        }
    }

    /// <summary>The slices of a search after its first, each after giving the thread to whatever else is waiting.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ContinueSearchAsync(SearchScratch scratch, ISearchResultSink sink, CancellationToken cancellationToken)
    {
        try
        {
            do
            {
                // Other clients' searches and registrations get their turn between two slices.
                await Task.Yield();
                cancellationToken.ThrowIfCancellationRequested();
            }
            while (!SearchSlice(scratch, sink));
        }
        finally
        {
            ReturnScratch(scratch);
        }
    }

    /// <summary>Parses the query (outside the lock: it needs nothing shared) and sets the search up.</summary>
    private void Begin(SearchScratch scratch, PeerKey? exclude, int maxFiles)
    {
        scratch.Plan.Parse(scratch.Query);
        if (scratch.Plan.WordCount > _searchLimits.MaxQueryWords)
        {
            throw new RequestRefusedException(
                ErrorCode.BadRequest,
                "--max-query-words",
                $"refused: a query of {scratch.Plan.WordCount} different words has more than the limit of {_searchLimits.MaxQueryWords} (--max-query-words)");
        }

        scratch.StartOver();
        scratch.WorkLeft = _searchLimits.MaxWork;
        scratch.MaxFiles = maxFiles;
        scratch.ExcludedPeer = exclude;
    }

    /// <summary>
    /// One slice of a search under the read lock: at most <see cref="SearchSliceWork"/> of work.
    /// Returns true when the search is done and its results have been handed to
    /// <paramref name="sink"/> (in that same hold of the lock, so names are read from the table
    /// the matches belong to).
    /// </summary>
    private bool SearchSlice(SearchScratch scratch, ISearchResultSink sink)
    {
        _lock.EnterRead();
        try
        {
            if (scratch.Pass != SearchPass.Start && scratch.Epoch != _epoch)
            {
                // The table was compacted since the last slice: the ids found so far mean nothing now.
                scratch.StartOver();
            }

            if (scratch.Pass == SearchPass.Start)
            {
                StartPass(scratch);
            }

            var slice = Math.Min(SearchSliceWork, scratch.WorkLeft);
            while (scratch.Pass != SearchPass.Done && slice > 0)
            {
                var excluded = scratch.Pass == SearchPass.Remembered ? NoPeer : scratch.Excluded;
                var before = slice;
                var next = scratch.Matcher.FindMatches(_table, scratch.Plan, excluded, scratch.NextId, EnoughWhole(scratch), scratch.Matches, scratch.Ranks, ref slice);
                scratch.WorkLeft -= before - slice;
                if (scratch.Matches.Count > Math.Max(SearchCache.MaxMatches, scratch.MaxFiles))
                {
                    Prune(scratch);
                }

                var outOfWork = next != FileMatcher.Finished && scratch.WorkLeft <= 0;
                if (next != FileMatcher.Finished && !outOfWork)
                {
                    scratch.NextId = next;
                    continue;
                }

                if (scratch.Pass == SearchPass.Remembered)
                {
                    FinishRemembered(scratch, next, outOfWork);
                }
                else
                {
                    scratch.Pass = SearchPass.Done;
                }
            }

            if (scratch.Pass != SearchPass.Done && scratch.WorkLeft <= 0)
            {
                // Out of work: the answer is what was found within it (PROTOCOL.md section 8.2).
                scratch.Pass = SearchPass.Done;
            }

            if (scratch.Pass != SearchPass.Done)
            {
                return false;
            }

            Emit(scratch, sink);
            return true;
        }
        finally
        {
            _lock.ExitRead();
        }
    }

    /// <summary>
    /// Entries a one-word query's whole word needs for the rest to be left unread: the answer's
    /// size, plus every entry that may be dead and every file of the asker, which the answer
    /// leaves out. Such a search is not remembered, since a later asker may leave out more.
    /// </summary>
    private int EnoughWhole(SearchScratch scratch)
    {
        var asker = scratch.Excluded == NoPeer ? 0 : _slots[scratch.Excluded]?.Files.Count ?? 0;
        return (int)Math.Min(int.MaxValue, (long)scratch.MaxFiles + _table.DeadCount + asker);
    }

    /// <summary>
    /// Under the read lock: where the search begins. With the <see cref="SearchCache"/>, from
    /// what the same query found before (with nobody left out, so that one entry serves every
    /// asker); otherwise from the first entry, the asker's files left out.
    /// </summary>
    private void StartPass(SearchScratch scratch)
    {
        scratch.Epoch = _epoch;
        scratch.Excluded = scratch.ExcludedPeer is { } key && _byPeer.TryGetValue(key, out var state) ? state.Slot : NoPeer;
        scratch.NextId = 0;
        if (_cache is null)
        {
            scratch.Pass = SearchPass.Direct;
            return;
        }

        scratch.Pass = SearchPass.Remembered;
        scratch.Remembered = _cache.Find(scratch.Query, scratch.MaxFiles);
        if (scratch.Remembered is { } remembered)
        {
            // What matched before still does, unless it died since.
            var ranks = remembered.Ranks;
            for (var i = 0; i < ranks.Length; i++)
            {
                var id = remembered.Ids[i];
                if (_table.IsLiveFor(id, NoPeer))
                {
                    scratch.Matches.Add(id);
                    scratch.Ranks.Add(ranks[i]);
                }
            }

            scratch.NextId = remembered.SearchedTo;
        }
    }

    /// <summary>
    /// The remembered pass is over (the search finished, or ran out of work and stopped at
    /// <paramref name="next"/>): remembers it, then takes the asker's own files out.
    /// </summary>
    private void FinishRemembered(SearchScratch scratch, int next, bool outOfWork)
    {
        var matches = scratch.Matches;
        var searchedTo = outOfWork ? next : _table.Count;
        if (scratch.Pruned || scratch.Matcher.SkippedWords)
        {
            // More matches than a remembered search keeps, or only the best of them: the next
            // asker searches afresh.
            _cache!.Forget(scratch.Query);
        }
        else if (scratch.Remembered is not { } remembered || remembered.SearchedTo != searchedTo || remembered.Ids.Length != matches.Count)
        {
            _cache!.Remember(scratch.Query, scratch.MaxFiles, CollectionsMarshal.AsSpan(matches), CollectionsMarshal.AsSpan(scratch.Ranks), searchedTo);
        }

        scratch.Remembered = null;
        scratch.Pass = SearchPass.Done;
        if (scratch.Excluded == NoPeer)
        {
            return;
        }

        Keep(scratch, scratch.Excluded);
    }

    /// <summary>
    /// Cuts the matches found so far to the best <see cref="SearchScratch.MaxFiles"/> of those
    /// the asker may get (alive, not its own), so that a broad query holds memory for a bounded
    /// number of matches however many it finds within its work budget.
    /// </summary>
    private void Prune(SearchScratch scratch)
    {
        Keep(scratch, scratch.Excluded);
        scratch.Ranking.Prune(_table, scratch.Matches, scratch.Ranks, scratch.MaxFiles);
        scratch.Pruned = true;
    }

    /// <summary>
    /// Keeps the matches (and their ranks) that are alive and not of peer slot
    /// <paramref name="excludedPeer"/> (<see cref="NoPeer"/>: anyone's).
    /// </summary>
    private void Keep(SearchScratch scratch, int excludedPeer)
    {
        var matches = scratch.Matches;
        var ranks = scratch.Ranks;
        var kept = 0;
        for (var i = 0; i < matches.Count; i++)
        {
            if (_table.IsLiveFor(matches[i], excludedPeer))
            {
                matches[kept] = matches[i];
                ranks[kept++] = ranks[i];
            }
        }

        matches.RemoveRange(kept, matches.Count - kept);
        ranks.RemoveRange(kept, ranks.Count - kept);
    }

    private SearchScratch RentScratch()
    {
        lock (_scratchLock)
        {
            if (_scratches.TryPop(out var scratch))
            {
                return scratch;
            }
        }

        return new SearchScratch();
    }

    private void ReturnScratch(SearchScratch scratch)
    {
        lock (_scratchLock)
        {
            _scratches.Push(scratch);
        }
    }

    /// <summary>
    /// Ranks the matches, keeps the best <see cref="SearchScratch.MaxFiles"/> and hands them to
    /// the sink grouped per peer: peers in order of their best match, matches in rank order.
    /// </summary>
    private void Emit(SearchScratch scratch, ISearchResultSink sink)
    {
        var matches = scratch.Matches;
        // A search done in slices may have found entries that died since (their peer may even
        // be gone, its slot free): only the living are listed.
        Keep(scratch, NoPeer);
        if (matches.Count == 0)
        {
            return;
        }

        scratch.Ranking.Rank(_table, matches, scratch.Ranks, scratch.MaxFiles);

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
            ref readonly var peer = ref CollectionsMarshal.AsSpan(_slotPeers)[peers[group]];
            sink.BeginPeer(peer.Key, peer.Address, end - start);
            for (var i = start; i < end; i++)
            {
                var id = ordered[i];
                ref readonly var record = ref _table[id];
                sink.AddFile(_table.Name(id), record.Size, record.Id);
            }

            start = end;
        }
    }

    /// <summary>One generation of one peer's registration: its slot, its entries (compared by name) and what they are charged.</summary>
    private sealed class PeerState(RegistrationToken token, IPAddress group, int slot, HashSet<int> files)
    {
        public RegistrationToken Token { get; } = token;

        /// <summary>The peer's <see cref="AddressGroup"/>, what its quotas are counted against.</summary>
        public IPAddress Group { get; } = group;

        public int Slot { get; } = slot;

        public HashSet<int> Files { get; set; } = files;

        /// <summary>What the peer's files are charged: files, name bytes, memory.</summary>
        public RegisteredAmount Amount { get; set; }

        /// <summary>Changes whenever <see cref="Files"/> does (a compaction's prepared copy of the set is stale then).</summary>
        public int Version { get; set; }

        /// <summary>The contents this peer holds in part (HOLD), by id.</summary>
        public Dictionary<ContentId, PartialHolding> Holdings { get; } = [];

        /// <summary>What <see cref="Holdings"/> are charged (memory only).</summary>
        public RegisteredAmount HoldingAmount { get; set; }
    }

    /// <summary>One content one peer holds in part: its size, its verified chunks, and when the peer first announced it (what orders equal holders).</summary>
    private sealed class PartialHolding(PeerState peer, ContentId id, long sequence)
    {
        /// <summary>Most chunks first; on a tie, the one announced first.</summary>
        public static readonly Comparison<PartialHolding> MostHeldFirst = static (a, b) =>
            a.Held != b.Held ? b.Held.CompareTo(a.Held) : a.Sequence.CompareTo(b.Sequence);

        public PeerState Peer { get; } = peer;

        public ContentId Id { get; } = id;

        public long Sequence { get; } = sequence;

        public ulong Size { get; set; }

        public uint Held { get; set; }
    }

    /// <summary>What one LOCATE needs besides the answer, kept per thread: the peers already listed, the partial holders to sort.</summary>
    private sealed class LocateScratch
    {
        public HashSet<int> Peers { get; } = [];

        public List<PartialHolding> Holdings { get; } = [];

        public void Clear()
        {
            Peers.Clear();
            Holdings.Clear();
        }
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
