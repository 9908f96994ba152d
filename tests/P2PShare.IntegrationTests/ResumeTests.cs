using P2PShare.IntegrationTests.Infrastructure;

namespace P2PShare.IntegrationTests;

/// <summary>
/// Issue 3, resuming: a <c>get</c> killed with SIGKILL half way leaves <c>NAME.part</c> and its
/// resume record <c>NAME.part.state</c>; the same command run again re-checks the recorded
/// chunks and fetches only the rest.
/// </summary>
public sealed class ResumeTests : IAsyncDisposable
{
    private const int MiB = 1024 * 1024;
    private const int Chunks = 100;

    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task A_get_killed_half_way_resumes_and_fetches_only_the_missing_chunks()
    {
        // 100 MiB from 2 peers at 5 MiB/s each: about 10 s for the whole file, 5 s per half.
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.Folder("original"), "half.bin"), Chunks * MiB, 81);
        var id = await TestFiles.ContentIdAsync(original);
        TestFiles.CopyInto(original, _cluster.ShareFolder("peer1"));
        TestFiles.CopyInto(original, _cluster.ShareFolder("peer2"));
        var peers = await Task.WhenAll(
            _cluster.StartPeerAsync(server, "peer1", uploadLimit: 5 * MiB),
            _cluster.StartPeerAsync(server, "peer2", uploadLimit: 5 * MiB));
        await Sources.WaitForAsync(server, "half.bin", [.. peers.Select(p => p.Port)]);
        var output = _cluster.Folder("out");
        var part = Path.Combine(output, "half.bin.part");
        var state = part + ".state";
        string[] arguments = ["get", "half.bin", "--server", server.Address, "--output", output];

        // First run: killed without warning once the record lists half of the chunks.
        var first = _cluster.Start("get-1", arguments);
        first.CloseInput();
        await ResumeRecord.WaitForAsync(state, 0.5, first, TimeSpan.FromSeconds(30));
        first.KillHard();
        await first.WaitForExitAsync(TimeSpan.FromSeconds(10));

        var record = ResumeRecord.TryRead(state);
        Assert.True(record is not null, $"no valid resume record after the kill; the folder holds [{string.Join(", ", TestFiles.Names(output))}]");
        TestContext.Current.TestOutputHelper?.WriteLine($"killed after {record.Verified.Count} of {record.ChunkCount} chunks");
        Assert.Equal(id, record.Id);
        Assert.Equal((ulong)Chunks * MiB, record.Size);
        Assert.Equal(Chunks, record.ChunkCount);
        Assert.InRange(record.VerifiedFraction, 0.3, 0.7);
        Assert.DoesNotContain("half.bin", TestFiles.Names(output));
        Assert.Equal((long)Chunks * MiB, new FileInfo(part).Length);

        // Second run: the recorded chunks are re-checked and kept, only the rest is fetched.
        var second = await _cluster.RunAsync(arguments, timeout: TimeSpan.FromSeconds(60));

        Assert.True(second.ExitCode == 0, second.Description);
        Assert.Equal(["half.bin"], TestFiles.Names(output));
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "half.bin"));
        Assert.True(GetOutput.ResumedChunks(second.Stdout) == record.Verified.Count, $"expected 'resumed: {record.Verified.Count} chunk(s) ...':\n{second.Description}");
        var rows = GetOutput.Sources(second.Stdout);
        var chunksFetched = rows.Sum(r => r.Chunks);
        var bytesFetched = rows.Sum(r => r.Bytes);
        Assert.True(
            chunksFetched < 0.6 * Chunks && bytesFetched < 0.6 * Chunks * MiB,
            $"the second run fetched {chunksFetched} chunks ({bytesFetched / MiB:0.0} MiB) of {Chunks}, not just the missing ones:\n{second.Description}");
        Assert.True(chunksFetched >= Chunks - record.Verified.Count, $"the second run fetched only {chunksFetched} chunks:\n{second.Description}");
    }

    [Fact]
    public async Task A_recorded_chunk_that_no_longer_verifies_is_fetched_again()
    {
        // The record is only a hint: a chunk it lists whose bytes in the .part were damaged
        // since is fetched again, and the file still comes out right.
        var server = await _cluster.StartServerAsync();
        var original = TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("peer"), "damaged.bin"), 12 * MiB, 82);
        var peer = await _cluster.StartPeerAsync(server, "peer", uploadLimit: 3 * MiB);
        await Sources.WaitForAsync(server, "damaged.bin", peer.Port);
        var output = _cluster.Folder("out");
        var part = Path.Combine(output, "damaged.bin.part");
        string[] arguments = ["get", "damaged.bin", "--server", server.Address, "--output", output];

        var first = _cluster.Start("get-1", arguments);
        first.CloseInput();
        await ResumeRecord.WaitForAsync(part + ".state", 0.25, first, TimeSpan.FromSeconds(20));
        first.KillHard();
        await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
        var record = ResumeRecord.TryRead(part + ".state");
        Assert.NotNull(record);
        Assert.True(record.Verified.Count >= 2, $"only {record.Verified.Count} chunks recorded");

        // Damage one byte of the first recorded chunk.
        var damaged = record.Verified[0];
        await using (var stream = new FileStream(part, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = ((long)damaged * MiB) + 12345;
            var value = stream.ReadByte();
            stream.Position--;
            stream.WriteByte((byte)(value ^ 0xFF));
        }

        var second = await _cluster.RunAsync(arguments, timeout: TimeSpan.FromSeconds(60));

        Assert.True(second.ExitCode == 0, second.Description);
        Assert.Equal(["damaged.bin"], TestFiles.Names(output));
        await TestFiles.AssertSameContentAsync(original, Path.Combine(output, "damaged.bin"));
        Assert.True(GetOutput.ResumedChunks(second.Stdout) == record.Verified.Count - 1, $"expected 'resumed: {record.Verified.Count - 1} chunk(s) ...' (chunk {damaged} was damaged):\n{second.Description}");
        Assert.Equal(12 - (record.Verified.Count - 1), GetOutput.Sources(second.Stdout).Sum(r => r.Chunks));
    }

    [Fact]
    public async Task A_resume_record_left_in_a_shared_folder_is_not_shared()
    {
        var server = await _cluster.StartServerAsync();
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("source"), "kept.bin"), 8 * MiB, 83);
        var source = await _cluster.StartPeerAsync(server, "source", uploadLimit: 2 * MiB);
        await Sources.WaitForAsync(server, "kept.bin", source.Port);
        var shared = _cluster.ShareFolder("both");

        // An interrupted download into what is also a shared folder (--share and --downloads the same).
        var get = _cluster.Start("get", ["get", "kept.bin", "--server", server.Address, "--output", shared]);
        get.CloseInput();
        await ResumeRecord.WaitForAsync(Path.Combine(shared, "kept.bin.part.state"), 0, get, TimeSpan.FromSeconds(15));
        await get.SignalAsync("TERM");
        await get.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("kept.bin.part.state", TestFiles.Names(shared));

        // A file of its own, to know when the peer has announced what it shares.
        TestFiles.WriteRandom(Path.Combine(shared, "marker.bin"), 1000, 84);
        var peer = _cluster.Start("both", ["peer", "--server", server.Address, "--port", "0", "--share", shared, "--downloads", shared, "--state", _cluster.Folder("both-state"), "--no-menu"]);
        var port = int.Parse((await peer.ExpectAsync(@"^p2pshare peer listening on port (?<port>\d+)", TimeSpan.FromSeconds(30))).Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
        await Sources.WaitForAsync(server, "marker.bin", port);

        // Give a late announcement a moment to show up: none may name a .part or its record.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(1))
        {
            var listed = (await RawClient.SearchAsync(server.Port, "")).Where(p => p.Port == port).SelectMany(p => p.Files).Select(f => f.Name).ToList();
            Assert.True(listed.SequenceEqual(["marker.bin"]), peer.Describe($"the peer shares [{string.Join(", ", listed)}] from a folder holding [{string.Join(", ", TestFiles.Names(shared))}]"));
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }
}
