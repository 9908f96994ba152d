using System.Net;

namespace P2PShare.Directory.Search;

/// <summary>
/// One REGISTER or ADD while the registry prepares it: its files, and how far the words no
/// name had before have been counted (see <see cref="InMemoryPeerRegistry"/>). Rented from the
/// registry for the request and given back after.
/// </summary>
internal sealed class RegistrationRequest
{
    public PreparedFiles Files { get; } = new();

    public NewTokenBits NewWordBits { get; } = new();

    public PeerKey Peer { get; private set; }

    /// <summary>The peer's address group, what its per-address quotas count.</summary>
    public IPAddress Group { get; private set; } = IPAddress.None;

    /// <summary>A REGISTER (replaces the peer's files) rather than an ADD.</summary>
    public bool Replacing { get; private set; }

    /// <summary>Words of the files prepared so far that the index has never seen (each counted once, nearly always).</summary>
    public long NewWords { get; set; }

    /// <summary>Characters of those words.</summary>
    public long NewWordChars { get; set; }

    /// <summary>Pieces of those words the dictionary's index has never seen (see <see cref="TokenDictionary.CountNewPieces"/>).</summary>
    public long NewPieces { get; set; }

    /// <summary>What the files of an ADD that replace registered ones (same name) take back: their count and name bytes.</summary>
    public RegisteredAmount Replaced { get; set; }

    /// <summary>Files (and their words) already looked up in the index.</summary>
    public int FilesLookedUp { get; set; }

    public int WordsLookedUp { get; set; }

    /// <summary>Starts a request whose names have <paramref name="nameBytes"/> bytes in all (the word count is at most that).</summary>
    public void Begin(PeerKey peer, IPAddress group, bool replacing, long nameBytes)
    {
        Files.Clear();
        Peer = peer;
        Group = group;
        Replacing = replacing;
        NewWords = 0;
        NewWordChars = 0;
        NewPieces = 0;
        Replaced = default;
        FilesLookedUp = 0;
        WordsLookedUp = 0;
        NewWordBits.Reset((int)Math.Min(3 * nameBytes, int.MaxValue));
    }
}
