namespace P2PShare.Directory;

/// <summary>
/// One registration of a peer: handed out by <see cref="IPeerRegistry.Register(PeerKey, IReadOnlyList{P2PShare.Protocol.FileEntry})"/> and presented
/// back for ADD, REMOVE and the final unregister. A newer REGISTER for the same
/// <see cref="PeerKey"/> gets a new <see cref="Generation"/>, which makes every older token stale;
/// that is how the close of a replaced connection is kept from removing the registration that
/// replaced it. Equality is by value so that a registry kept outside the process can compare
/// tokens it did not create in memory.
/// </summary>
/// <param name="Peer">The peer this registration is for.</param>
/// <param name="Generation">Unique within one registry; larger means newer.</param>
public sealed record RegistrationToken(PeerKey Peer, long Generation)
{
    public override string ToString() => $"{Peer}#{Generation}";
}
