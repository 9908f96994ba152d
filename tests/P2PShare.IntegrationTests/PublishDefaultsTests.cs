using System.Diagnostics;
using System.Text.Json;
using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>
/// Issue 16's fast start: a plain <c>dotnet publish -c Release</c> of the CLI is Native AOT for
/// the SDK's own platform, while a build (tests, <c>dotnet run</c>) and a publish that asks for
/// ReadyToRun (bench/run.sh's composite form) are left as they were. Checked by evaluating the
/// project with <c>dotnet msbuild -getProperty</c> (about a second; nothing is built or
/// published): <c>dotnet publish</c> is <c>-p:_IsPublishing=true</c> to the project.
/// </summary>
public sealed class PublishDefaultsTests
{
    [Fact]
    public async Task A_plain_release_publish_is_native_aot_for_the_sdks_platform()
    {
        var properties = await EvaluateAsync("-p:_IsPublishing=true");

        Assert.Equal("true", properties["PublishAot"]);
        Assert.Matches("^linux-(x64|arm64|musl-x64|musl-arm64)$", properties["RuntimeIdentifier"]);
    }

    [Fact]
    public async Task A_build_stays_framework_dependent_and_portable()
    {
        var properties = await EvaluateAsync();

        // The tests and `dotnet run` start bin/CONFIGURATION/net10.0/p2pshare.dll.
        Assert.Equal("", properties["RuntimeIdentifier"]);
        Assert.NotEqual("true", properties["PublishAot"]);
        Assert.NotEqual("true", properties["SelfContained"]);
    }

    [Theory]
    [InlineData("-p:PublishReadyToRun=true")]
    [InlineData("-p:PublishReadyToRun=true", "-p:PublishReadyToRunComposite=true", "-p:SelfContained=true", "-p:RuntimeIdentifier=linux-x64")]
    [InlineData("-p:PublishAot=false")]
    public async Task A_publish_that_asks_for_another_form_gets_it(params string[] options)
    {
        var properties = await EvaluateAsync(["-p:_IsPublishing=true", .. options]);

        Assert.NotEqual("true", properties["PublishAot"]);
        Assert.NotEqual("", properties["RuntimeIdentifier"]);
    }

    private static async Task<Dictionary<string, string>> EvaluateAsync(params string[] options)
    {
        string[] names = ["PublishAot", "RuntimeIdentifier", "SelfContained", "PublishReadyToRun"];
        var info = new ProcessStartInfo(TestEnvironment.DotnetHost)
        {
            WorkingDirectory = TestEnvironment.RepositoryRoot,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add("msbuild");
        info.ArgumentList.Add(Path.Combine(TestEnvironment.RepositoryRoot, "src", "P2PShare.Cli", "P2PShare.Cli.csproj"));
        info.ArgumentList.Add("-nologo");
        info.ArgumentList.Add("-p:Configuration=Release");
        foreach (var option in options)
        {
            info.ArgumentList.Add(option);
        }

        foreach (var name in names)
        {
            info.ArgumentList.Add("-getProperty:" + name);
        }

        // The test host may run under MSBuild's own variables (dotnet test); evaluate as a shell would.
        foreach (var variable in info.Environment.Keys.Where(key => key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(variable);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet msbuild");
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var output = await stdout;
        var command = "dotnet " + string.Join(' ', info.ArgumentList);
        Assert.True(process.ExitCode == 0, $"{command} exited with {process.ExitCode}:\n{output}\n{await stderr}");
        using var json = JsonDocument.Parse(output);
        var found = json.RootElement.GetProperty("Properties");
        return names.ToDictionary(name => name, name => found.GetProperty(name).GetString() ?? "");
    }
}
