using System.Diagnostics;
using System.Globalization;

namespace P2PShare.Testing;

/// <summary>
/// A small file system to fill up: a tmpfs of a given size mounted on a fresh folder under the
/// system temp folder, unmounted and removed on dispose. Mounting needs root (CAP_SYS_ADMIN);
/// where it is refused, <see cref="TryCreate"/> says why, and the test skips with that reason.
/// Compiled into both test projects (linked from tests/Shared).
/// </summary>
internal sealed class TmpfsMount : IDisposable
{
    private TmpfsMount(string path)
    {
        Path = path;
    }

    /// <summary>The mounted folder.</summary>
    public string Path { get; }

    /// <summary>Mounts a tmpfs of <paramref name="bytes"/> bytes; null, with the reason, when this machine does not allow it.</summary>
    public static TmpfsMount? TryCreate(long bytes, out string reason)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "p2pshare-tmpfs-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(path);
        var (exitCode, output) = Run("mount", "-t", "tmpfs", "-o", "size=" + bytes.ToString(CultureInfo.InvariantCulture), "tmpfs", path);
        if (exitCode != 0)
        {
            System.IO.Directory.Delete(path);
            reason = $"cannot mount a {bytes}-byte tmpfs here (mount exited with {exitCode}: {output.Trim()}); this test needs root or CAP_SYS_ADMIN";
            return null;
        }

        reason = string.Empty;
        return new TmpfsMount(path);
    }

    /// <summary>Writes <paramref name="name"/> until the file system is full; returns the bytes written.</summary>
    public long Fill(string name)
    {
        var buffer = new byte[64 * 1024];
        long written = 0;
        using var stream = new FileStream(System.IO.Path.Combine(Path, name), FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        try
        {
            while (true)
            {
                stream.Write(buffer);
                written += buffer.Length;
            }
        }
        catch (IOException)
        {
            // Full. What a last partial write got in stays: the point is that nothing more fits.
        }

        // Fill what the last 64 KiB write could not, down to single pages.
        for (var piece = buffer.Length / 2; piece >= 4096; piece /= 2)
        {
            try
            {
                stream.Write(buffer.AsSpan(0, piece));
                written += piece;
            }
            catch (IOException)
            {
                // This size does not fit; try a smaller one.
            }
        }

        return written;
    }

    public void Dispose()
    {
        // A process killed a moment ago may still hold a file open there: detach lazily then.
        if (Run("umount", Path).ExitCode != 0)
        {
            Run("umount", "-l", Path);
        }

        try
        {
            System.IO.Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Still busy; the temp folder is cleaned up by the system eventually.
        }
    }

    private static (int ExitCode, string Output) Run(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                process.Kill();
                return (-1, $"{program} did not finish within 30 s");
            }

            return (process.ExitCode, stdout.Result + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, $"{program} could not be started: {ex.Message}");
        }
    }
}
