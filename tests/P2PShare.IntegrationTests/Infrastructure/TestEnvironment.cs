using System.Reflection;

namespace P2PShare.IntegrationTests.Infrastructure;

/// <summary>
/// Where things are: the repository root, the configuration the tests were built with, the
/// built <c>p2pshare.dll</c> and the <c>dotnet</c> host that runs it.
/// </summary>
public static class TestEnvironment
{
    private static readonly Lazy<string> LazyRepositoryRoot = new(FindRepositoryRoot);
    private static readonly Lazy<string> LazyDotnetHost = new(FindDotnetHost);

    /// <summary>The folder that holds <c>P2PShare.slnx</c>.</summary>
    public static string RepositoryRoot => LazyRepositoryRoot.Value;

    /// <summary>Debug or Release: the configuration this test assembly was built with.</summary>
    public static string Configuration { get; } = FindConfiguration();

    /// <summary>The CLI built with the same configuration as the tests.</summary>
    public static string CliAssembly
    {
        get
        {
            var path = Path.Combine(RepositoryRoot, "src", "P2PShare.Cli", "bin", Configuration, "net10.0", "p2pshare.dll");
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"the p2pshare CLI is not built at {path}; run 'dotnet build src/P2PShare.Cli -c {Configuration}'", path);
            }

            return path;
        }
    }

    /// <summary>The <c>dotnet</c> executable (the one running the tests when it can be found).</summary>
    public static string DotnetHost => LazyDotnetHost.Value;

    private static string FindRepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "P2PShare.slnx")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"no P2PShare.slnx above {AppContext.BaseDirectory}");
    }

    private static string FindConfiguration()
    {
        var parts = AppContext.BaseDirectory.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (var i = parts.Length - 2; i >= 0; i--)
        {
            if (parts[i] == "bin")
            {
                return parts[i + 1];
            }
        }

        // Not under bin/<Configuration>/: fall back to how the assembly was compiled.
        var attribute = typeof(TestEnvironment).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>();
        return string.IsNullOrEmpty(attribute?.Configuration) ? "Debug" : attribute.Configuration;
    }

    private static string FindDotnetHost()
    {
        var fileName = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        var candidates = new List<string?>
        {
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH"),
            Environment.ProcessPath,
        };
        foreach (var variable in new[] { "DOTNET_ROOT", "DOTNET_INSTALL_DIR" })
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } root)
            {
                candidates.Add(Path.Combine(root, fileName));
            }
        }

        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            candidates.Add(Path.Combine(folder, fileName));
        }

        foreach (var candidate in candidates)
        {
            if (!string.IsNullOrEmpty(candidate)
                && Path.GetFileName(candidate).Equals(fileName, StringComparison.OrdinalIgnoreCase)
                && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return fileName;
    }
}
