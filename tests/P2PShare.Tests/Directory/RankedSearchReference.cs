using System.Net;
using System.Text;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Tests.Directory;

/// <summary>
/// The reference for SEARCH (PROTOCOL.md section 8.2), written straight from the rule and by
/// full scan, to compare the registry's index with. Matching: every whitespace-separated word
/// (<see cref="char.IsWhiteSpace(char)"/>) of the query occurs in the name, ignoring case
/// (<see cref="StringComparison.OrdinalIgnoreCase"/>). Ranking: a <em>boundary</em> is a position
/// i of the name (in UTF-16 code units) where i is 0 or the length, or where
/// <see cref="char.IsLetterOrDigit(char)"/> differs between the characters before and at i; an
/// occurrence of a word at p is whole (class 0) when p and p + its length are boundaries, a
/// prefix (class 1) when only p is, inside (class 2) otherwise; a word's class is its best
/// occurrence's, a name's class its worst word's (0 for an empty query). Matches come by class,
/// then by sources (peers of the whole directory with a file of the same content id, the asker
/// included, each once however many names it has it under) most first, then by registration order.
/// </summary>
internal static class SearchRule
{
    public const int Whole = 0;
    public const int Prefix = 1;
    public const int Inside = 2;

    /// <summary>The query's words, split at every white-space character, each once (repeats compared ignoring case).</summary>
    public static List<string> Words(string query)
    {
        var words = new List<string>();
        var start = -1;
        for (var i = 0; i <= query.Length; i++)
        {
            if (i == query.Length || char.IsWhiteSpace(query[i]))
            {
                if (start >= 0)
                {
                    var word = query[start..i];
                    if (!words.Exists(w => string.Equals(w, word, StringComparison.OrdinalIgnoreCase)))
                    {
                        words.Add(word);
                    }

                    start = -1;
                }
            }
            else if (start < 0)
            {
                start = i;
            }
        }

        return words;
    }

    public static bool IsBoundary(string name, int i) =>
        i == 0 || i == name.Length || char.IsLetterOrDigit(name[i - 1]) != char.IsLetterOrDigit(name[i]);

    /// <summary>The best class among the occurrences of <paramref name="word"/> in <paramref name="name"/>, or null when it does not occur.</summary>
    public static int? WordClass(string name, string word)
    {
        int? best = null;
        for (var p = 0; p + word.Length <= name.Length; p++)
        {
            if (!name.AsSpan(p, word.Length).Equals(word, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var occurrence = !IsBoundary(name, p) ? Inside : IsBoundary(name, p + word.Length) ? Whole : Prefix;
            if (best is null || occurrence < best)
            {
                best = occurrence;
            }
        }

        return best;
    }

    /// <summary>The worst class among the words, or null when some word does not occur (the name does not match).</summary>
    public static int? ClassOf(string name, IReadOnlyList<string> words)
    {
        var worst = Whole;
        foreach (var word in words)
        {
            var wordClass = WordClass(name, word);
            if (wordClass is null)
            {
                return null;
            }

            worst = Math.Max(worst, wordClass.Value);
        }

        return worst;
    }
}

/// <summary>A match as the reference ranks it.</summary>
internal sealed record RankedMatch(PeerKey Peer, FileEntry File, long Sequence, int Class, int Sources);

/// <summary>
/// The reference registry: every peer's files with their place in the registry-wide sequence
/// (REGISTER and ADD append in message order; a file replacing one of the same name is appended
/// and the old one goes), and a search by full scan that ranks by <see cref="SearchRule"/>.
/// </summary>
internal sealed class RegistryModel
{
    private readonly Dictionary<PeerKey, List<(long Sequence, FileEntry File)>> _files = [];
    private long _sequence;

    /// <summary>What the searches answered so far covered (to check that the catalogs exercise the rule).</summary>
    public RankingCoverage Coverage { get; init; } = new();

    public int PeerCount => _files.Count;

    public int TotalFiles => _files.Values.Sum(f => f.Count);

    public IEnumerable<PeerKey> RegisteredPeers => _files.Keys;

    public bool IsRegistered(PeerKey peer) => _files.ContainsKey(peer);

    public int? FileCount(PeerKey peer) => _files.TryGetValue(peer, out var files) ? files.Count : null;

    public void Register(PeerKey peer, IReadOnlyList<FileEntry> files)
    {
        _files[peer] = [];
        Add(peer, files);
    }

    public int? Add(PeerKey peer, IReadOnlyList<FileEntry> files)
    {
        var list = _files[peer];
        foreach (var file in files)
        {
            list.RemoveAll(f => f.File.Name == file.Name);
            list.Add((_sequence++, file));
        }

        return list.Count;
    }

    public int? Remove(PeerKey peer, IReadOnlyList<string> names)
    {
        var list = _files[peer];
        list.RemoveAll(f => names.Contains(f.File.Name));
        return list.Count;
    }

    public void Unregister(PeerKey peer) => _files.Remove(peer);

    public IReadOnlyList<string> NamesOf(PeerKey peer) => _files.TryGetValue(peer, out var files) ? [.. files.Select(f => f.File.Name)] : [];

    public IEnumerable<string> SomeNames(Random random, PeerKey peer, int count) =>
        _files[peer].Count == 0 ? [] : Enumerable.Range(0, count).Select(_ => _files[peer][random.Next(_files[peer].Count)].File.Name);

    public List<string> AllNames() => [.. _files.Values.SelectMany(f => f).OrderBy(f => f.Sequence).Select(f => f.File.Name)];

    /// <summary>Live entries with <paramref name="id"/> over all peers.</summary>
    public int SourcesOf(ContentId id) => _files.Values.Count(files => files.Any(f => f.File.Id == id));

    /// <summary>Every match of <paramref name="query"/> outside <paramref name="exclude"/>'s files, best first.</summary>
    public List<RankedMatch> Ranked(string query, PeerKey? exclude)
    {
        var words = SearchRule.Words(query);
        var matcher = new SearchQuery(query);
        // Sources are peers: a peer with a content under several names is one.
        var sources = new Dictionary<ContentId, int>();
        foreach (var id in _files.Values.SelectMany(files => files.Select(f => f.File.Id).Distinct()))
        {
            sources[id] = sources.GetValueOrDefault(id) + 1;
        }

        var matches = new List<RankedMatch>();
        foreach (var (peer, files) in _files)
        {
            if (peer == exclude)
            {
                continue;
            }

            foreach (var (sequence, file) in files)
            {
                var nameClass = SearchRule.ClassOf(file.Name, words);
                // Matching is unchanged: the reference must agree with the registry's matcher.
                Assert.True(
                    nameClass is not null == matcher.Matches(file.Name),
                    $"the reference and SearchQuery disagree on whether '{file.Name}' matches '{query}'");
                if (nameClass is not null)
                {
                    matches.Add(new RankedMatch(peer, file, sequence, nameClass.Value, sources[file.Id]));
                }
            }
        }

        return [.. matches.OrderBy(m => m.Class).ThenByDescending(m => m.Sources).ThenBy(m => m.Sequence)];
    }

    /// <summary>The answer: the first <paramref name="maxFiles"/> ranked matches, grouped per peer in the order of each peer's first.</summary>
    public List<PeerFiles> Search(string query, PeerKey? exclude, int maxFiles)
    {
        var ranked = Ranked(query, exclude);
        var kept = ranked.Take(maxFiles).ToList();
        Coverage.Record(ranked, kept, exclude is { } asker ? _files.GetValueOrDefault(asker)?.Select(f => f.File.Id) : null);
        return Group(kept);
    }

    /// <summary>Groups ranked matches per peer: peers in the order of their first match, each peer's in ranked order.</summary>
    public static List<PeerFiles> Group(IEnumerable<RankedMatch> matches) =>
        [.. matches.GroupBy(m => m.Peer).Select(g => new PeerFiles(g.Key.Address, g.Key.Port, [.. g.Select(m => m.File)]))];
}

/// <summary>
/// Counts what the compared answers held, so a test can check that its catalogs and queries
/// really exercise the ranking (every class, capped answers that ranking changes, sources that
/// vary, the asker's files counted as sources) instead of passing on answers that registration
/// order would give as well. Thread-safe (CsCheck samples on several threads).
/// </summary>
internal sealed class RankingCoverage
{
    private long _answers;
    private long _withWhole;
    private long _withPrefix;
    private long _withInside;
    private long _allThreeClasses;
    private long _capped;
    private long _cappedSelectionChanged;
    private long _orderChanged;
    private long _sourcesDecided;
    private long _askerCounted;
    private long _maxSources;

    public long Answers => Interlocked.Read(ref _answers);

    public void Record(List<RankedMatch> ranked, List<RankedMatch> kept, IEnumerable<ContentId>? askerIds)
    {
        Interlocked.Increment(ref _answers);
        if (kept.Exists(m => m.Class == SearchRule.Whole))
        {
            Interlocked.Increment(ref _withWhole);
        }

        if (kept.Exists(m => m.Class == SearchRule.Prefix))
        {
            Interlocked.Increment(ref _withPrefix);
        }

        if (kept.Exists(m => m.Class == SearchRule.Inside))
        {
            Interlocked.Increment(ref _withInside);
        }

        if (ranked.Select(m => m.Class).Distinct().Count() == 3)
        {
            Interlocked.Increment(ref _allThreeClasses);
        }

        var inRegistrationOrder = ranked.OrderBy(m => m.Sequence).Take(kept.Count).ToList();
        if (kept.Count > 0 && kept.Count < ranked.Count)
        {
            Interlocked.Increment(ref _capped);
            if (!inRegistrationOrder.Select(m => m.Sequence).Order().SequenceEqual(kept.Select(m => m.Sequence).Order()))
            {
                Interlocked.Increment(ref _cappedSelectionChanged);
            }
        }

        if (!kept.Select(m => m.Sequence).SequenceEqual(kept.Select(m => m.Sequence).Order()))
        {
            Interlocked.Increment(ref _orderChanged);
        }

        // Sources decided the order of two kept matches of one class: the one with more came later.
        for (var i = 1; i < kept.Count; i++)
        {
            if (kept[i - 1].Class == kept[i].Class && kept[i - 1].Sources > kept[i].Sources && kept[i - 1].Sequence > kept[i].Sequence)
            {
                Interlocked.Increment(ref _sourcesDecided);
                break;
            }
        }

        if (askerIds is not null)
        {
            var held = askerIds.ToHashSet();
            if (kept.Exists(m => held.Contains(m.File.Id)))
            {
                Interlocked.Increment(ref _askerCounted);
            }
        }

        foreach (var match in kept)
        {
            var seen = Interlocked.Read(ref _maxSources);
            while (match.Sources > seen && Interlocked.CompareExchange(ref _maxSources, match.Sources, seen) != seen)
            {
                seen = Interlocked.Read(ref _maxSources);
            }
        }
    }

    /// <summary>Fails unless every kind of case happened at least <paramref name="atLeast"/> times.</summary>
    public void AssertCovered(int atLeast)
    {
        var counts = new (string What, long Count)[]
        {
            ("answers with a whole-word match", _withWhole),
            ("answers with a prefix match", _withPrefix),
            ("answers with a match inside a word", _withInside),
            ("queries matching in all three classes", _allThreeClasses),
            ("capped answers", _capped),
            ("capped answers whose selection ranking changed", _cappedSelectionChanged),
            ("answers whose order ranking changed", _orderChanged),
            ("answers where more sources went before an earlier registration", _sourcesDecided),
            ("answers holding content the asker also has", _askerCounted),
        };
        var missing = counts.Where(c => c.Count < atLeast).Select(c => $"{c.What}: {c.Count}").ToList();
        Assert.True(missing.Count == 0, $"the catalogs did not exercise the ranking enough ({Answers} answers, at least {atLeast} of each wanted): {string.Join("; ", missing)}");
        Assert.True(_maxSources >= 3, $"no kept match had 3 sources or more (most: {_maxSources})");
    }

    public override string ToString() =>
        $"{Answers} answers: whole {_withWhole}, prefix {_withPrefix}, inside {_withInside}, all three {_allThreeClasses}, capped {_capped} " +
        $"(selection changed {_cappedSelectionChanged}), order changed {_orderChanged}, sources decided {_sourcesDecided}, asker counted {_askerCounted}, most sources {_maxSources}";
}

/// <summary>Collects what <see cref="InMemoryPeerRegistry.SearchAsync"/> hands a sink, checking the calls come as the interface says.</summary>
internal sealed class CollectingSink : ISearchResultSink
{
    private List<FileEntry>? _current;
    private int _announced;

    public List<PeerFiles> Peers { get; } = [];

    public void BeginPeer(PeerKey peer, int fileCount)
    {
        CheckPeerComplete();
        Assert.True(fileCount > 0, $"BeginPeer({peer}) with {fileCount} files");
        _current = new List<FileEntry>(fileCount);
        _announced = fileCount;
        Peers.Add(new PeerFiles(peer.Address, peer.Port, _current));
    }

    public void BeginPeer(PeerKey peer, ReadOnlySpan<byte> address, int fileCount)
    {
        // The bytes the registry keeps for the peer's slot are the address of the peer it names.
        Assert.Equal(peer.Address.GetAddressBytes(), address.ToArray());
        BeginPeer(peer, fileCount);
    }

    public void AddFile(ReadOnlySpan<byte> utf8Name, ulong size, in ContentId id)
    {
        Assert.NotNull(_current);
        Assert.True(_current.Count < _announced, "more AddFile calls than BeginPeer announced");
        _current.Add(new FileEntry(Encoding.UTF8.GetString(utf8Name), size, id));
    }

    public void CheckPeerComplete()
    {
        if (_current is not null)
        {
            Assert.True(_current.Count == _announced, $"{_current.Count} AddFile calls after BeginPeer announced {_announced}");
        }
    }
}

/// <summary>Content ids for test catalogs: number n gives the same id, different numbers different ids.</summary>
internal static class NumberedContent
{
    public static ContentId Id(int n)
    {
        var bytes = new byte[32];
        BitConverter.TryWriteBytes(bytes, n);
        return new ContentId(bytes);
    }
}

/// <summary>Compares the registry's answers with the reference's, order included.</summary>
internal static class RankedSearchAssert
{
    /// <summary>
    /// The registry answers <paramref name="query"/> as the reference does, through
    /// <see cref="InMemoryPeerRegistry.Search"/> and through <see cref="InMemoryPeerRegistry.SearchAsync"/>
    /// into a sink (that one with the query as UTF-8, so compared with the reference's answer to
    /// what the UTF-8 reads back as).
    /// </summary>
    public static void SameAnswer(RegistryModel model, InMemoryPeerRegistry registry, string query, PeerKey? exclude, int maxFiles, string context)
    {
        var expected = model.Search(query, exclude, maxFiles);
        var actual = registry.Search(query, exclude, maxFiles);
        Same(model, query, exclude, maxFiles, expected, actual, $"{context}, Search");

        var utf8 = Encoding.UTF8.GetBytes(query);
        var readBack = Encoding.UTF8.GetString(utf8);
        var expectedFromUtf8 = readBack == query ? expected : model.Search(readBack, exclude, maxFiles);
        var sink = new CollectingSink();
        // On the thread pool: a search that gives way between slices must not wait for this thread.
        Task.Run(() => registry.SearchAsync(utf8, exclude, maxFiles, sink).AsTask()).GetAwaiter().GetResult();
        sink.CheckPeerComplete();
        Same(model, readBack, exclude, maxFiles, expectedFromUtf8, sink.Peers, $"{context}, SearchAsync");
    }

    public static void Same(RegistryModel model, string query, PeerKey? exclude, int maxFiles, IReadOnlyList<PeerFiles> expected, IReadOnlyList<PeerFiles> actual, string context)
    {
        if (Key(expected) == Key(actual))
        {
            return;
        }

        var ranked = model.Ranked(query, exclude);
        Assert.Fail(
            $"{context}: query '{Escape(query)}' (exclude {exclude?.ToString() ?? "none"}, max {maxFiles}): {Diagnose(ranked, maxFiles, expected, actual)}\n" +
            $"expected {Describe(expected)}\n" +
            $"actual   {Describe(actual)}\n" +
            $"ranked   {string.Join(", ", ranked.Take(Math.Max(maxFiles, 1) + 10).Select(m => $"{Short(m.Peer)} '{Escape(m.File.Name)}' class {m.Class} sources {m.Sources} seq {m.Sequence}"))}");
    }

    /// <summary>What kind of difference: the same files in another order, other files of the same matches (selection), or other matches.</summary>
    public static string Diagnose(List<RankedMatch> ranked, int maxFiles, IReadOnlyList<PeerFiles> expected, IReadOnlyList<PeerFiles> actual)
    {
        var expectedFiles = Flatten(expected).Order(StringComparer.Ordinal).ToList();
        var actualFiles = Flatten(actual).Order(StringComparer.Ordinal).ToList();
        if (expectedFiles.SequenceEqual(actualFiles))
        {
            return "ORDER differs (same files)";
        }

        var matching = ranked.Select(m => Entry(m.Peer, m.File)).ToHashSet();
        if (actualFiles.All(matching.Contains) && actualFiles.Count == Math.Min(maxFiles, ranked.Count) && actualFiles.Distinct().Count() == actualFiles.Count)
        {
            return "SELECTION differs (matching files, other ones kept under the cap)";
        }

        return "MATCHES differ (files that do not match, or a wrong count)";
    }

    public static string Describe(IReadOnlyList<PeerFiles> peers) =>
        string.Join(" | ", peers.Select(p => $"{Short(new PeerKey(p.Address, p.Port))} [{string.Join(", ", p.Files.Select(f => $"'{Escape(f.Name)}'={f.Size}/{f.Id.ToString()[..6]}"))}]"));

    private static string Key(IReadOnlyList<PeerFiles> peers) =>
        string.Join(" | ", peers.Select(p => $"{new PeerKey(p.Address, p.Port)} [{string.Join(", ", p.Files.Select(f => $"{f.Name}\0{f.Size}\0{f.Id}"))}]"));

    private static IEnumerable<string> Flatten(IReadOnlyList<PeerFiles> peers) =>
        peers.SelectMany(p => p.Files.Select(f => Entry(new PeerKey(p.Address, p.Port), f)));

    private static string Entry(PeerKey peer, FileEntry file) => $"{peer}\0{file.Name}\0{file.Size}\0{file.Id}";

    private static string Short(PeerKey peer) => peer.Address.Equals(IPAddress.Loopback) ? $":{peer.Port}" : peer.ToString();

    /// <summary>The text with controls and lone surrogates written as escapes, so a failure message shows what was searched.</summary>
    public static string Escape(string text)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (char.IsControl(c) || char.IsSurrogate(c))
            {
                builder.Append($"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
