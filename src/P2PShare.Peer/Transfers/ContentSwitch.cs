namespace P2PShare.Peer;

/// <summary>
/// A download gave up on one content found under its name (<paramref name="From"/>, for
/// <paramref name="Reason"/>) and went on with the next (<paramref name="To"/>).
/// </summary>
public sealed record ContentSwitch(DownloadPlan From, string Reason, DownloadPlan To);
