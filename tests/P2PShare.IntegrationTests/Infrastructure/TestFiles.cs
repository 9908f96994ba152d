using System.Security.Cryptography;
using P2PShare.Protocol;

namespace P2PShare.IntegrationTests.Infrastructure;

/// <summary>Files with reproducible random content, and their digests.</summary>
public static class TestFiles
{
    /// <summary>Writes <paramref name="size"/> pseudo-random bytes (from <paramref name="seed"/>) to <paramref name="path"/>.</summary>
    public static string WriteRandom(string path, long size, int seed)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var random = new Random(seed);
        var buffer = new byte[Math.Min(size, 1024 * 1024)];
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        var remaining = size;
        while (remaining > 0)
        {
            var count = (int)Math.Min(remaining, buffer.Length);
            random.NextBytes(buffer.AsSpan(0, count));
            stream.Write(buffer, 0, count);
            remaining -= count;
        }

        return path;
    }

    /// <summary>Copies <paramref name="source"/> into <paramref name="folder"/> under the same name; returns the copy's path.</summary>
    public static string CopyInto(string source, string folder)
    {
        System.IO.Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, Path.GetFileName(source));
        File.Copy(source, path);
        return path;
    }

    /// <summary>Lower-case hex SHA-256 of a whole file.</summary>
    public static async Task<string> Sha256Async(string path)
    {
        await using var stream = File.OpenRead(path);
        var digest = await SHA256.HashDataAsync(stream, TestContext.Current.CancellationToken);
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>The protocol's content id of a file, as lower-case hex.</summary>
    public static async Task<string> ContentIdAsync(string path) =>
        (await ContentHasher.ComputeFileAsync(path, TestContext.Current.CancellationToken)).ToString();

    /// <summary>Asserts that two files have the same length and the same SHA-256.</summary>
    public static async Task AssertSameContentAsync(string expected, string actual)
    {
        Assert.True(File.Exists(actual), $"{actual} does not exist");
        Assert.Equal(new FileInfo(expected).Length, new FileInfo(actual).Length);
        Assert.Equal(await Sha256Async(expected), await Sha256Async(actual));
    }

    /// <summary>The names of the files in a folder (not in its subfolders), sorted.</summary>
    public static string[] Names(string folder) =>
        System.IO.Directory.Exists(folder)
            ? [.. System.IO.Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal)!]
            : [];
}
