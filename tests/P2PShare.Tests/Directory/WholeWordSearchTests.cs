using System.Net;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Tests.Directory;

/// <summary>
/// A one-word query whose whole word alone fills the answer reads only that word's list (the
/// longer words that contain it rank below): the answer stays the plain rule's when the asker's
/// own files or dead entries are among the whole word's, and a search cut short that way is
/// not remembered for the next asker.
/// </summary>
public sealed class WholeWordSearchTests
{
    private static readonly PeerKey Whole = Peer(1);
    private static readonly PeerKey Longer = Peer(2);
    private static readonly PeerKey Few = Peer(3);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_whole_word_that_fills_the_answer_gives_the_plain_rules_answer_for_every_asker(bool rememberSearches)
    {
        var registry = new InMemoryPeerRegistry(minDeadToCompact: 1_000_000, rememberSearches: rememberSearches);
        var model = new RegistryModel();
        var tokens = new Dictionary<PeerKey, RegistrationToken>();
        // 'live' is the whole word in 40 names (Whole's 30, Few's 10), the start of one in 30 more.
        Register(registry, model, tokens, Whole, i => $"song {i} live.mp3", 30);
        Register(registry, model, tokens, Longer, i => $"song {i} lively.mp3", 30);
        Register(registry, model, tokens, Few, i => $"live take {i}.mp3", 10);

        // Anyone: the 40 whole-word names fill an answer of 35.
        RankedSearchAssert.SameAnswer(model, registry, "live", null, 35, "anyone");
        // Whole's 30 are left out of its own answer: 10 whole-word names, then 25 longer ones.
        RankedSearchAssert.SameAnswer(model, registry, "live", Whole, 35, "asked by the peer with most of them");
        RankedSearchAssert.SameAnswer(model, registry, "live", null, 35, "anyone again");

        // Few leaves: its 10 entries are dead, but still in the word's list until a compaction.
        Assert.True(registry.Unregister(tokens[Few]));
        model.Unregister(Few);
        RankedSearchAssert.SameAnswer(model, registry, "live", null, 35, "after a peer left");
        RankedSearchAssert.SameAnswer(model, registry, "live", null, 25, "after a peer left, a smaller answer");
    }

    private static void Register(InMemoryPeerRegistry registry, RegistryModel model, Dictionary<PeerKey, RegistrationToken> tokens, PeerKey peer, Func<int, string> name, int count)
    {
        var files = Enumerable.Range(0, count).Select(i => new FileEntry(name(i), 1, NumberedContent.Id((peer.Address.GetAddressBytes()[3] * 1000) + i))).ToList();
        tokens[peer] = registry.Register(peer, files);
        model.Register(peer, files);
    }

    private static PeerKey Peer(byte n) => new(new IPAddress([10, 9, 0, n]), 3300);
}
