using System.Net;
using System.Text;
using CsCheck;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Tests.Directory;

/// <summary>
/// The ranked search against the reference (<see cref="RegistryModel"/>, <see cref="SearchRule"/>)
/// on generated scripts (CsCheck): registrations, ADDs, REMOVEs, unregisters and compactions of
/// a few peers, with searches in between, some asked again later (by the same or another peer)
/// so that remembered searches meet every kind of change. Two registries run each script, one
/// remembering searches and one not; every answer, through Search and through SearchAsync, must
/// be the reference's, order included. Names are made of a small vocabulary (digits that run
/// on, separators, mixed case, non-ASCII and CJK letters), so query words fall on, across and
/// inside word boundaries; a few content ids are shared by many entries; caps are small. A
/// failure prints the script, shrunk, and a seed; <c>CsCheck_Seed=SEED</c> runs that case again.
/// </summary>
public sealed class SearchRankingPropertyTests
{
    private const int Iterations = 300;

    private static readonly string[] Vocabulary =
    [
        "title4567", "title45678", "subtitle4567", "Title12", "title123", "TITLE", "q3", "Q3", "live", "LIVE", "Live", "alive",
        "live.mp3", "2024-07", "2024", "07", "mp3", "sub", "srt", "a", "ab", "x", "é", "café", "ß", "Straße", "Ω", "ωmega", "ж", "Жук",
        "日本語", "本", "😀",
    ];

    private static readonly string[] Separators = ["", "", "/", " ", "-", "_", "."];

    private static readonly string[] ShortWords = ["a", "ab", "Ti", "e", "3", "q", "ж", "é", "l", "LI", "07", "本"];

    private static readonly string[] SeparatedWords = ["live.mp3", "2024-07", "q3_live", "sub/title", "LIVE.MP3", "4567.", "-07"];

    private static readonly string[] NothingWords = ["zzz", "title99", "qq3", "ωω", "mp4"];

    private static readonly PeerKey[] Peers = [.. Enumerable.Range(0, 5).Select(i => new PeerKey(new IPAddress([10, 1, 0, (byte)(i + 1)]), (ushort)(4400 + i)))];

    private static readonly Gen<string> Name =
        Gen.Select(Gen.OneOf(Vocabulary), Gen.OneOf(Separators)).Array[1, 4]
            .Select(parts => string.Concat(parts.Select(p => p.Item1 + p.Item2)));

    /// <summary>Content ids: mostly one of five shared by many entries, otherwise one of many.</summary>
    private static readonly Gen<int> Content = Gen.Frequency((3, Gen.Int[0, 4]), (2, Gen.Int[5, 5000]));

    private static readonly Gen<FileSpec> AFile = Gen.Select(Name, Content, Gen.Int[0, 9], (name, content, size) => new FileSpec(name, content, (ulong)size));

    private static readonly Gen<WordSpec> Word = Gen.Select(Gen.Int[0, 9], Gen.Int[0, 1000], Gen.Int[0, 1000], Gen.Int[0, 1000], Gen.Int[0, 2], (kind, a, b, c, casing) => new WordSpec(kind, a, b, c, casing));

    private static readonly Gen<int> MaxFiles = Gen.Frequency((5, Gen.Int[1, 8]), (3, Gen.Int[5, 30]), (1, Gen.Const(0)), (1, Gen.Const(1000)));

    /// <summary>Who asks: nobody in particular (-1), or one of the peers (registered or not).</summary>
    private static readonly Gen<int> Asker = Gen.Frequency((2, Gen.Const(-1)), (3, Gen.Int[0, Peers.Length - 1]));

    private static readonly Gen<Step> Search = Gen.Select(Word.Array[0, 3], Asker, MaxFiles, Gen.Bool, (words, asker, maxFiles, repeat) => (Step)new SearchStep(words, asker, maxFiles, repeat));

    private static readonly Gen<Step> AnyStep = Gen.Frequency(
        (4, Gen.Select(Gen.Int[0, Peers.Length - 1], AFile.Array[0, 12], (peer, files) => (Step)new RegisterStep(peer, files))),
        (3, Gen.Select(Gen.Int[0, Peers.Length - 1], AFile.Array[0, 5], (peer, files) => (Step)new AddStep(peer, files))),
        (2, Gen.Select(Gen.Int[0, Peers.Length - 1], Gen.Int[0, 1000].Array[0, 3], Gen.Bool, (peer, picks, unknown) => (Step)new RemoveStep(peer, picks, unknown))),
        (1, Gen.Int[0, Peers.Length - 1].Select(peer => (Step)new UnregisterStep(peer))),
        (1, Gen.Const((Step)new CompactStep())),
        (6, Search),
        (2, Gen.Select(Gen.Int[0, 1000], Asker, (which, asker) => (Step)new RepeatStep(which, asker))));

    private static readonly Gen<Script> Scripts = Gen.Select(
        Gen.Int[1, 24],
        AnyStep.Array[5, 60],
        Search.Array[2, 8],
        (minDeadToCompact, steps, finalSearches) => new Script(minDeadToCompact, [.. steps, .. finalSearches]));

    [Fact]
    public void Ranked_search_agrees_with_the_reference_on_generated_scripts()
    {
        var coverage = new RankingCoverage();
        Scripts.Sample(script => Run(script, coverage), iter: Iterations, print: Print);
        TestContext.Current.TestOutputHelper?.WriteLine(coverage.ToString());
        coverage.AssertCovered(atLeast: 30);
    }

    private static void Run(Script script, RankingCoverage coverage)
    {
        var model = new RegistryModel { Coverage = coverage };
        InMemoryPeerRegistry[] registries =
        [
            new(script.MinDeadToCompact, rememberSearches: true),
            new(script.MinDeadToCompact, rememberSearches: false),
        ];
        var tokens = new Dictionary<PeerKey, RegistrationToken>[] { [], [] };
        var asked = new List<(string Query, int MaxFiles)>();

        for (var s = 0; s < script.Steps.Length; s++)
        {
            var context = $"step {s}";
            switch (script.Steps[s])
            {
                case RegisterStep(var peer, var specs):
                    var files = FilesOf(specs);
                    model.Register(Peers[peer], files);
                    for (var r = 0; r < registries.Length; r++)
                    {
                        tokens[r][Peers[peer]] = registries[r].Register(Peers[peer], files);
                    }

                    break;
                case AddStep(var peer, var specs) when model.IsRegistered(Peers[peer]):
                    var added = FilesOf(specs);
                    var count = model.Add(Peers[peer], added);
                    for (var r = 0; r < registries.Length; r++)
                    {
                        Assert.Equal(count, registries[r].Add(tokens[r][Peers[peer]], added));
                    }

                    break;
                case RemoveStep(var peer, var picks, var unknown) when model.IsRegistered(Peers[peer]):
                    var registered = model.NamesOf(Peers[peer]);
                    var names = registered.Count == 0 ? [] : picks.Select(p => registered[p % registered.Count]).ToList();
                    if (unknown)
                    {
                        names.Add("not registered");
                    }

                    var left = model.Remove(Peers[peer], names);
                    for (var r = 0; r < registries.Length; r++)
                    {
                        Assert.Equal(left, registries[r].Remove(tokens[r][Peers[peer]], names));
                    }

                    break;
                case UnregisterStep(var peer) when model.IsRegistered(Peers[peer]):
                    model.Unregister(Peers[peer]);
                    for (var r = 0; r < registries.Length; r++)
                    {
                        Assert.True(registries[r].Unregister(tokens[r][Peers[peer]]));
                        tokens[r].Remove(Peers[peer]);
                    }

                    break;
                case CompactStep:
                    foreach (var registry in registries)
                    {
                        registry.Compact();
                    }

                    break;
                case SearchStep(var words, var asker, var maxFiles, var repeat):
                    var query = QueryOf(words, model, repeat);
                    asked.Add((query, maxFiles));
                    Compare(query, asker, maxFiles, context);
                    break;
                case RepeatStep(var which, var asker) when asked.Count > 0:
                    var (again, max) = asked[which % asked.Count];
                    Compare(again, asker, max, $"{context} (asked again)");
                    break;
            }

            foreach (var registry in registries)
            {
                Assert.Equal(model.PeerCount, registry.PeerCount);
                Assert.Equal(model.TotalFiles, registry.FileCount);
            }
        }

        void Compare(string query, int asker, int maxFiles, string context)
        {
            PeerKey? exclude = asker < 0 ? null : Peers[asker];
            RankedSearchAssert.SameAnswer(model, registries[0], query, exclude, maxFiles, $"{context}, remembering searches");
            RankedSearchAssert.SameAnswer(model, registries[1], query, exclude, maxFiles, $"{context}, not remembering searches");
        }
    }

    private static List<FileEntry> FilesOf(FileSpec[] specs) => [.. specs.Select(spec => new FileEntry(spec.Name, spec.Size, IdOf(spec.Content)))];

    private static ContentId IdOf(int content)
    {
        var bytes = new byte[Limits.IdLength];
        BitConverter.TryWriteBytes(bytes, content + 1);
        bytes[Limits.IdLength - 1] = 0xc3;
        return new ContentId(bytes);
    }

    /// <summary>
    /// The query of a search step, with words resolved against the catalog at that moment: a
    /// piece of a registered name cut at random positions (half the time), a vocabulary word,
    /// a one- or two-letter word, a word with a separator inside, a word nothing matches; each
    /// now and then in another case, or given twice.
    /// </summary>
    private static string QueryOf(WordSpec[] specs, RegistryModel model, bool repeat)
    {
        var names = model.AllNames();
        var words = new List<string>();
        foreach (var (kind, a, b, c, casing) in specs)
        {
            var word = kind switch
            {
                < 5 when names.Count > 0 => Piece(names[a % names.Count], b, c),
                < 6 => Vocabulary[a % Vocabulary.Length],
                6 => ShortWords[a % ShortWords.Length],
                7 or 8 => SeparatedWords[a % SeparatedWords.Length],
                _ => NothingWords[a % NothingWords.Length],
            };
            word = casing switch
            {
                1 => word.ToUpperInvariant(),
                2 => word.ToLowerInvariant(),
                _ => word,
            };
            words.Add(word);
        }

        if (repeat && words.Count > 0)
        {
            words.Add(words[0].ToUpperInvariant());
        }

        return string.Join(repeat ? " \t " : " ", words);

        static string Piece(string name, int start, int length)
        {
            start %= name.Length;
            return name.Substring(start, 1 + (length % Math.Min(10, name.Length - start)));
        }
    }

    private static string Print(Script script)
    {
        var builder = new StringBuilder($"minDeadToCompact {script.MinDeadToCompact}, {script.Steps.Length} steps:");
        for (var s = 0; s < script.Steps.Length; s++)
        {
            builder.Append($"\n  {s}: ").Append(script.Steps[s] switch
            {
                RegisterStep(var peer, var files) => $"REGISTER peer {peer}: {string.Join(", ", files.Select(Describe))}",
                AddStep(var peer, var files) => $"ADD peer {peer}: {string.Join(", ", files.Select(Describe))}",
                RemoveStep(var peer, var picks, var unknown) => $"REMOVE peer {peer}: picks {string.Join(",", picks)}{(unknown ? " and an unknown name" : "")}",
                UnregisterStep(var peer) => $"UNREGISTER peer {peer}",
                CompactStep => "COMPACT",
                SearchStep(var words, var asker, var maxFiles, var repeat) =>
                    $"SEARCH by {asker}, max {maxFiles}, words {string.Join(" ", words.Select(w => $"({w.Kind},{w.A},{w.B},{w.C},{w.Casing})"))}{(repeat ? " with the first again" : "")}",
                RepeatStep(var which, var asker) => $"SEARCH again #{which} by {asker}",
                _ => "?",
            });
        }

        return builder.ToString();

        static string Describe(FileSpec file) => $"'{RankedSearchAssert.Escape(file.Name)}'#{file.Content}";
    }

    private sealed record Script(int MinDeadToCompact, Step[] Steps);

    private abstract record Step;

    private sealed record RegisterStep(int Peer, FileSpec[] Files) : Step;

    private sealed record AddStep(int Peer, FileSpec[] Files) : Step;

    private sealed record RemoveStep(int Peer, int[] Picks, bool Unknown) : Step;

    private sealed record UnregisterStep(int Peer) : Step;

    private sealed record CompactStep : Step;

    private sealed record SearchStep(WordSpec[] Words, int Asker, int MaxFiles, bool Repeat) : Step;

    private sealed record RepeatStep(int Which, int Asker) : Step;

    private readonly record struct FileSpec(string Name, int Content, ulong Size);

    private readonly record struct WordSpec(int Kind, int A, int B, int C, int Casing);
}
