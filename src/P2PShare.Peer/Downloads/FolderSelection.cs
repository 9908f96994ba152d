using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// A folder of shared files, as <c>get --folder</c> and the menu's download take it: every file
/// whose name starts with <c>PREFIX/</c>, as one search for the prefix finds them.
/// </summary>
public static class FolderSelection
{
    /// <summary>The prefix with one closing slash: <c>photos</c> and <c>photos/</c> both mean the folder.</summary>
    public static string AsFolder(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return prefix.TrimEnd('/') + "/";
    }

    /// <summary>Why <paramref name="prefix"/> cannot name a folder of shared files (absolute, <c>..</c>, empty, ...), or null.</summary>
    public static string? Problem(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return prefix.TrimEnd('/') is { Length: > 0 } folder ? FileName.Validate(folder) : "give the folder's name, such as photos/2024/";
    }

    /// <summary>The distinct names in <paramref name="results"/> under <paramref name="folder"/> (ending in <c>/</c>), in ordinal order.</summary>
    public static IReadOnlyList<string> NamesUnder(IReadOnlyList<PeerFiles> results, string folder)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(folder);
        return [.. results
            .SelectMany(peer => peer.Files)
            .Select(file => file.Name)
            .Where(name => name.StartsWith(folder, StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>Whether the answer held as many files as a search answers (files under the folder beyond those may be missing).</summary>
    public static bool IsFull(IReadOnlyList<PeerFiles> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return results.Sum(peer => peer.Files.Count) >= Limits.MaxSearchResults;
    }
}
