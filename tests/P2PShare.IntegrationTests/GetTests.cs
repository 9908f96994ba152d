using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>Acceptance point 2 and the rest of the <c>get</c> contract.</summary>
public sealed class GetTests : IAsyncDisposable
{
    private const int MiB = 1024 * 1024;

    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Get_fetches_a_50_MiB_file_byte_identical_and_leaves_no_part_file()
    {
        var server = await _cluster.StartServerAsync();
        var source = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "big.bin"), 50 * MiB, 50);
        await _cluster.StartPeerAsync(server, "source");
        var output = _cluster.Folder("out");

        var result = await _cluster.RunAsync(["get", "big.bin", "--server", server.Address, "--output", output]);

        Assert.True(result.ExitCode == 0, result.Description);
        Assert.Equal(["big.bin"], TestFiles.Names(output));
        await TestFiles.AssertSameContentAsync(source, Path.Combine(output, "big.bin"));
    }

    [Theory]
    [InlineData("--fsync")]
    [InlineData("--direct-io")]
    [InlineData("--fsync", "--direct-io")]
    public async Task Get_with_fsync_or_direct_io_lands_a_file_in_its_subfolder_byte_identical(params string[] flags)
    {
        // 20 MiB: large enough for write-behind, whose descriptor must not keep fsync or the
        // rename from working.
        var server = await _cluster.StartServerAsync();
        var source = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "disk", "img.bin"), 20 * MiB, 51);
        await _cluster.StartPeerAsync(server, "source");
        var output = _cluster.Folder("out");

        var result = await _cluster.RunAsync(["get", "disk/img.bin", "--server", server.Address, "--output", output, .. flags]);

        Assert.True(result.ExitCode == 0, result.Description);
        Assert.Equal(["img.bin"], TestFiles.Names(Path.Combine(output, "disk")));
        await TestFiles.AssertSameContentAsync(source, Path.Combine(output, "disk", "img.bin"));
    }

    [Fact]
    public async Task Get_of_a_large_file_from_a_peer_that_serves_one_connection_per_address_succeeds()
    {
        // Over loopback the downloader may ask a lone fast source for a second connection (for a
        // file with 256 MiB or more left); a peer that refuses it (ERROR 4) must still serve the
        // whole file over the first.
        var server = await _cluster.StartServerAsync();
        var source = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "large.bin"), 288 * MiB, 96);
        await _cluster.StartPeerAsync(server, "source", arguments: ["--max-per-address", "1"]);
        var output = _cluster.Folder("out");

        var result = await _cluster.RunAsync(["get", "large.bin", "--server", server.Address, "--output", output]);

        Assert.True(result.ExitCode == 0, result.Description);
        Assert.DoesNotContain("dropped", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(["large.bin"], TestFiles.Names(output));
        await TestFiles.AssertSameContentAsync(source, Path.Combine(output, "large.bin"));
    }

    [Fact]
    public async Task Get_saves_into_the_current_folder_by_default()
    {
        var server = await _cluster.StartServerAsync();
        var source = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "here.bin"), 100_000, 7);
        await _cluster.StartPeerAsync(server, "source");
        var workingFolder = _cluster.Folder("cwd");

        var result = await _cluster.RunAsync(["get", "here.bin", "--server", server.Address], workingFolder);

        Assert.True(result.ExitCode == 0, result.Description);
        Assert.Equal(["here.bin"], TestFiles.Names(workingFolder));
        await TestFiles.AssertSameContentAsync(source, Path.Combine(workingFolder, "here.bin"));
    }

    [Fact]
    public async Task Get_never_overwrites_an_existing_file_but_numbers_the_new_one()
    {
        var server = await _cluster.StartServerAsync();
        var source = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "song.bin"), (2 * MiB) + 5, 11);
        await _cluster.StartPeerAsync(server, "source");
        var output = _cluster.Folder("out");
        var existing = TestFiles.WriteRandom(Path.Combine(output, "song.bin"), 1000, 12);
        var existingHash = await TestFiles.Sha256Async(existing);

        var first = await _cluster.RunAsync(["get", "song.bin", "--server", server.Address, "--output", output]);
        Assert.True(first.ExitCode == 0, first.Description);
        var second = await _cluster.RunAsync(["get", "song.bin", "--server", server.Address, "--output", output]);
        Assert.True(second.ExitCode == 0, second.Description);

        Assert.Equal(["song.bin", "song.bin (1)", "song.bin (2)"], TestFiles.Names(output));
        Assert.Equal(existingHash, await TestFiles.Sha256Async(existing));
        await TestFiles.AssertSameContentAsync(source, Path.Combine(output, "song.bin (1)"));
        await TestFiles.AssertSameContentAsync(source, Path.Combine(output, "song.bin (2)"));
    }

    [Fact]
    public async Task Get_of_a_file_nobody_shares_fails_on_stderr_and_leaves_nothing()
    {
        var server = await _cluster.StartServerAsync();
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "present.bin"), 1000, 13);
        await _cluster.StartPeerAsync(server, "source");
        var output = _cluster.Folder("out");

        // Not shared at all, and shared only under a longer name: NAME must match exactly.
        foreach (var name in new[] { "absent.bin", "present" })
        {
            var result = await _cluster.RunAsync(["get", name, "--server", server.Address, "--output", output]);

            Assert.True(result.ExitCode != 0, result.Description);
            Assert.False(string.IsNullOrWhiteSpace(result.Stderr), result.Description);
            Assert.Empty(TestFiles.Names(output));
        }
    }

    [Fact]
    public async Task Get_keeps_the_part_file_and_its_record_when_the_source_dies_mid_transfer_and_resumes_later()
    {
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "doomed.bin"), 8 * MiB, 14);
        var source = await _cluster.StartPeerAsync(server, "source", uploadLimit: 2 * MiB);
        await Sources.WaitForAsync(server, "doomed.bin", source.Port);
        var output = _cluster.Folder("out");
        string[] arguments = ["get", "doomed.bin", "--server", server.Address, "--output", output];

        var get = _cluster.Start("get", arguments);
        get.CloseInput();
        // Wait until at least one chunk is verified and recorded, then kill the only source.
        await ResumeRecord.WaitForAsync(Path.Combine(output, "doomed.bin.part.state"), 0, get, TimeSpan.FromSeconds(15));
        source.Process.KillHard();

        var exitCode = await get.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(exitCode != 0, get.Describe("get succeeded although its only source was killed"));
        Assert.False(string.IsNullOrWhiteSpace(get.Stderr.ToString()), get.Describe("no message on stderr"));
        var left = TestFiles.Names(output);
        Assert.DoesNotContain("doomed.bin", left);
        Assert.Contains("doomed.bin.part", left);
        Assert.Contains("doomed.bin.part.state", left);
        var record = ResumeRecord.TryRead(Path.Combine(output, "doomed.bin.part.state"));
        Assert.True(record is { Verified.Count: > 0 }, get.Describe("the resume record lists no verified chunk"));

        // The source comes back (on another port): the same command finishes the file.
        var back = await _cluster.StartPeerAsync(server, "source");
        await Sources.WaitForAsync(server, "doomed.bin", back.Port);
        var again = await _cluster.RunAsync(arguments);

        Assert.True(again.ExitCode == 0, again.Description);
        Assert.Equal(["doomed.bin"], TestFiles.Names(output));
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "doomed.bin"));
        Assert.True(GetOutput.ResumedChunks(again.Stdout) == record.Verified.Count, again.Description);
    }

    [Fact]
    public async Task A_second_get_of_the_same_file_into_the_same_folder_fails_without_harming_the_first()
    {
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "twice.bin"), 8 * MiB, 17);
        var source = await _cluster.StartPeerAsync(server, "source", uploadLimit: 2 * MiB);
        await Sources.WaitForAsync(server, "twice.bin", source.Port);
        var output = _cluster.Folder("out");
        string[] arguments = ["get", "twice.bin", "--server", server.Address, "--output", output];
        var first = _cluster.Start("get-1", arguments);
        first.CloseInput();
        await ResumeRecord.WaitForAsync(Path.Combine(output, "twice.bin.part.state"), 0, first, TimeSpan.FromSeconds(15));

        // The first is held still (its .part open and locked) while the second runs: however
        // slow the machine, the first cannot finish before the second has looked at its .part.
        await first.SignalAsync("STOP");
        CliResult second;
        try
        {
            second = await _cluster.RunAsync(arguments);
        }
        finally
        {
            await first.SignalAsync("CONT");
        }

        var firstExit = await first.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(second.ExitCode != 0, second.Description);
        Assert.Contains("twice.bin.part is in use", second.Stderr, StringComparison.Ordinal);
        Assert.True(firstExit == 0, first.Describe($"the first get exited with code {firstExit} after a second get of the same file started\n{second.Description}"));
        Assert.Equal(["twice.bin"], TestFiles.Names(output));
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "twice.bin"));
    }

    [Fact]
    public async Task Get_with_an_id_picks_that_content_among_files_of_the_same_name()
    {
        var server = await _cluster.StartServerAsync();
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("first"), "same.bin"), 40_000, 15);
        var second = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("second"), "same.bin"), 50_000, 16);
        await Task.WhenAll(_cluster.StartPeerAsync(server, "first"), _cluster.StartPeerAsync(server, "second"));
        var id = await TestFiles.ContentIdAsync(second);
        var output = _cluster.Folder("out");

        var result = await _cluster.RunAsync(["get", "same.bin", "--server", server.Address, "--id", id, "--output", output]);

        Assert.True(result.ExitCode == 0, result.Description);
        Assert.Equal(["same.bin"], TestFiles.Names(output));
        await TestFiles.AssertSameContentAsync(second, Path.Combine(output, "same.bin"));
    }

    [Fact]
    public async Task Get_by_id_alone_finds_every_holder_by_LOCATE_and_saves_under_a_holders_name()
    {
        // More entries than one search answer holds (1000): holders are found by id, not by
        // listing everything.
        var server = await _cluster.StartServerAsync();
        var share = _cluster.ShareFolder("many");
        for (var i = 0; i < 1200; i++)
        {
            File.WriteAllText(Path.Combine(share, $"note {i:0000}.txt"), $"note {i}");
        }

        var original = TestFiles.WriteRandom(Path.Combine(share, "report.pdf"), 3 * MiB, 17);
        File.Copy(original, Path.Combine(_cluster.ShareFolder("other"), "renamed.pdf"));
        var many = await _cluster.StartPeerAsync(server, "many", uploadLimit: MiB);
        var other = await _cluster.StartPeerAsync(server, "other", uploadLimit: MiB);
        var id = await TestFiles.ContentIdAsync(original);
        var output = _cluster.Folder("out");

        var result = await _cluster.RunAsync(["get", "--id", id.ToUpperInvariant(), "--server", server.Address, "--output", output]);

        Assert.True(result.ExitCode == 0, result.Description);
        var saved = Assert.Single(TestFiles.Names(output));
        Assert.Contains(saved, new[] { "report.pdf", "renamed.pdf" });
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, saved));
        var rows = GetOutput.Sources(result.Stdout);
        foreach (var peer in new[] { many, other })
        {
            Assert.Equal("done", GetOutput.Row(rows, $"127.0.0.1:{peer.Port}", result.Description).Status);
        }

        // A NAME beside --id is the name to save it as.
        var named = _cluster.Folder("named");
        result = await _cluster.RunAsync(["get", "mine.pdf", "--id", id, "--server", server.Address, "--output", named]);
        Assert.True(result.ExitCode == 0, result.Description);
        Assert.Equal(["mine.pdf"], TestFiles.Names(named));
    }

    [Fact]
    public async Task Get_by_an_id_nobody_holds_fails_and_get_without_a_name_or_an_id_is_refused()
    {
        var server = await _cluster.StartServerAsync();
        var output = _cluster.Folder("out");
        var id = new string('7', 64);

        var result = await _cluster.RunAsync(["get", "--id", id, "--server", server.Address, "--output", output]);

        Assert.True(result.ExitCode == 1, result.Description);
        Assert.Contains($"no online peer holds content {id}", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(TestFiles.Names(output));

        result = await _cluster.RunAsync(["get", "--server", server.Address, "--output", output]);
        Assert.True(result.ExitCode != 0, result.Description);
        Assert.Contains("--id HEX", result.Stderr, StringComparison.Ordinal);
    }
}
