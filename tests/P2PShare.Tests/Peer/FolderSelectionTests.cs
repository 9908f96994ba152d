using System.Net;
using P2PShare.Peer;
using P2PShare.Protocol;

namespace P2PShare.Tests.Peer;

public sealed class FolderSelectionTests
{
    [Theory]
    [InlineData("photos", "photos/")]
    [InlineData("photos/", "photos/")]
    [InlineData("photos/2024//", "photos/2024/")]
    public void A_folder_ends_in_one_slash(string prefix, string folder) => Assert.Equal(folder, FolderSelection.AsFolder(prefix));

    [Theory]
    [InlineData("../")]
    [InlineData("photos/../../")]
    [InlineData("/etc/")]
    [InlineData("/")]
    [InlineData("")]
    public void A_folder_outside_the_downloads_or_without_a_name_is_refused(string prefix) => Assert.NotNull(FolderSelection.Problem(prefix));

    [Fact]
    public void The_names_under_a_folder_start_with_it_once_each_in_order()
    {
        var file = (string name) => new FileEntry(name, 1, ContentId.Zero);
        IReadOnlyList<PeerFiles> results =
        [
            new(IPAddress.Loopback, 1, [file("docs/b.txt"), file("docs.txt"), file("old/docs/c.txt"), file("Docs/d.txt")]),
            new(IPAddress.Loopback, 2, [file("docs/sub/a.txt"), file("docs/b.txt"), file("docsX/e.txt")]),
        ];

        Assert.Equal(["docs/b.txt", "docs/sub/a.txt"], FolderSelection.NamesUnder(results, "docs/"));
        Assert.False(FolderSelection.IsFull(results));
    }

    [Fact]
    public void An_answer_as_long_as_a_search_gives_may_leave_files_out()
    {
        var files = Enumerable.Range(0, Limits.MaxSearchResults).Select(i => new FileEntry($"docs/{i}", 1, ContentId.Zero)).ToList();

        Assert.True(FolderSelection.IsFull([new PeerFiles(IPAddress.Loopback, 1, files)]));
        Assert.False(FolderSelection.IsFull([new PeerFiles(IPAddress.Loopback, 1, files[1..])]));
    }
}
