using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>Acceptance point 9: <c>p2pshare hash</c> prints the ids ContentHasher computes.</summary>
public sealed class HashTests : IAsyncDisposable
{
    private const int MiB = 1024 * 1024;

    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Hash_prints_the_content_id_and_the_name_as_given_for_each_file()
    {
        var folder = _cluster.Folder("files");
        var sizes = new (string Name, long Size)[]
        {
            ("empty.bin", 0),
            ("one-byte.bin", 1),
            ("chunk.bin", MiB),
            ("chunk-plus-one.bin", MiB + 1),
            ("with space.bin", (2 * MiB) + (MiB / 2)),
            (Path.Combine("sub", "nested.bin"), 4096),
        };
        var seed = 0;
        foreach (var (name, size) in sizes)
        {
            if (size == 0)
            {
                await File.WriteAllBytesAsync(Path.Combine(folder, name), [], TestContext.Current.CancellationToken);
            }
            else
            {
                TestFiles.WriteRandom(Path.Combine(folder, name), size, seed++);
            }
        }

        // Relative names, a relative path with a folder, and an absolute path are all printed as given.
        var arguments = sizes.Select(s => s.Name).ToList();
        var absolute = Path.Combine(folder, "chunk.bin");
        arguments.Add(absolute);
        var expected = new List<string>();
        foreach (var argument in arguments)
        {
            expected.Add($"{await TestFiles.ContentIdAsync(Path.Combine(folder, argument))}  {argument}");
        }

        var result = await _cluster.RunAsync(["hash", .. arguments], folder);

        Assert.True(result.ExitCode == 0, result.Description);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal(expected, lines);
        // The id of an empty file is SHA-256 of nothing (it has no chunks).
        Assert.StartsWith("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  empty.bin", lines[0], StringComparison.Ordinal);
    }
}
