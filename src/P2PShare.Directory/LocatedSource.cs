using P2PShare.Protocol;

namespace P2PShare.Directory;

/// <summary>
/// One record of a LOCATE's answer as the registry finds it: the peer, the content's size, and
/// how many verified chunks it holds (<see cref="HeldSource.WholeFile"/> for a peer sharing
/// the whole file). A value, so that a reused list of them costs nothing per answer.
/// </summary>
public readonly record struct LocatedSource(PeerKey Peer, ulong Size, uint Held);
