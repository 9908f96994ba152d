using System.Net;
using P2PShare.Directory;
using P2PShare.Protocol;

namespace P2PShare.Tests.Directory;

/// <summary>
/// Issue 13, item 1 (a registration flood exhausted the directory) and the quotas that answer
/// it: what one peer, one address and everyone may make the registry hold.
/// </summary>
public sealed class RegistrationQuotaTests
{
    private static readonly PeerKey Alice = new(IPAddress.Parse("10.0.0.1"), 3301);
    private static readonly PeerKey AliceAgain = new(IPAddress.Parse("10.0.0.1"), 3302);
    private static readonly PeerKey Bob = new(IPAddress.Parse("10.0.0.2"), 3302);

    private static FileEntry File(string name) => new(name, 1, ContentId.Zero);

    private static List<FileEntry> Files(string prefix, int count) => [.. Enumerable.Range(0, count).Select(i => File($"{prefix} {i}.txt"))];

    /// <summary>Names of random CJK characters, every one new to the index: the costliest names there are.</summary>
    private static List<FileEntry> CjkFiles(Random random, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => File(new string([.. Enumerable.Range(0, 340).Select(_ => (char)random.Next(0x4E00, 0x9FFF))])))];

    [Fact]
    public void Registration_flood_exhausts_the_directory()
    {
        // The flood of the issue at a smaller scale: four addresses send REGISTER and ADD of
        // never-seen CJK names until they are refused. Memory stays within the budgets, and an
        // ordinary peer from another address still registers and is found.
        var quotas = new RegistrationQuotas { MaxMemory = 48L << 20, MaxMemoryPerAddress = 8L << 20 };
        var registry = new InMemoryPeerRegistry(quotas, new SearchLimits());
        var random = new Random(13);
        var refusals = new List<RequestRefusedException>();
        for (var address = 0; address < 4; address++)
        {
            var peer = new PeerKey(new IPAddress([10, 9, 0, (byte)(address + 1)]), 3300);
            RegistrationToken? token = null;
            for (var request = 0; request < 20; request++)
            {
                try
                {
                    // Each name is one word of 340 never-seen characters, with about 680 new
                    // pieces in the word index: 20 of them are about a quarter of the quota.
                    var files = CjkFiles(random, 20);
                    if (token is null)
                    {
                        token = registry.Register(peer, files);
                    }
                    else
                    {
                        registry.Add(token, files);
                    }
                }
                catch (RequestRefusedException ex)
                {
                    refusals.Add(ex);
                }
            }

            // What the address is charged stays within its quota (the estimate is checked before anything is added).
            Assert.InRange(registry.UsageOf(peer.Address).Memory, 1, quotas.MaxMemoryPerAddress);
        }

        Assert.NotEmpty(refusals);
        Assert.All(refusals, r => Assert.Equal(ErrorCode.Busy, r.Code));
        Assert.Contains(refusals, r => r.Limit == "--max-memory-per-address" && r.Message.Contains("--max-memory-per-address", StringComparison.Ordinal));
        Assert.InRange(registry.IndexBytes, 0, quotas.MaxMemory);

        var ordinary = new PeerKey(IPAddress.Parse("10.8.0.1"), 3300);
        registry.Register(ordinary, Files("quarterly report", 100));
        var found = Assert.Single(registry.Search("quarterly report", null, 1000));
        Assert.Equal(100, found.Files.Count);
    }

    [Fact]
    public void Past_the_memory_budget_registrations_are_refused_and_searches_go_on()
    {
        var quotas = new RegistrationQuotas { MaxMemory = 4L << 20, MaxMemoryPerAddress = 1L << 30, MaxNameBytesPerAddress = 1L << 30 };
        var registry = new InMemoryPeerRegistry(quotas, new SearchLimits());
        registry.Register(Bob, Files("findable song", 10));
        var random = new Random(1);
        var refused = Assert.Throws<RequestRefusedException>(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                registry.Register(new PeerKey(new IPAddress([10, 1, 0, (byte)i]), 3300), CjkFiles(random, 50));
            }
        });

        Assert.Equal("--max-memory", refused.Limit);
        Assert.Contains("memory budget", refused.Message, StringComparison.Ordinal);
        Assert.InRange(registry.IndexBytes, 0, quotas.MaxMemory);
        Assert.Equal(10, Assert.Single(registry.Search("findable", null, 1000)).Files.Count);
    }

    [Theory]
    [InlineData("--max-files-per-peer")]
    [InlineData("--max-name-bytes-per-peer")]
    [InlineData("--max-files-per-address")]
    [InlineData("--max-name-bytes-per-address")]
    [InlineData("--max-files")]
    [InlineData("--max-name-bytes")]
    public void Each_quota_refuses_a_request_that_would_pass_it_and_names_itself(string option)
    {
        // Each quota at 10 files (or their name bytes) with the others far away.
        const int Files10 = 10;
        const long Bytes10 = 10 * 13; // "file 000x.txt" is 13 bytes
        var quotas = option switch
        {
            "--max-files-per-peer" => new RegistrationQuotas { MaxFilesPerPeer = Files10 },
            "--max-name-bytes-per-peer" => new RegistrationQuotas { MaxNameBytesPerPeer = Bytes10 },
            "--max-files-per-address" => new RegistrationQuotas { MaxFilesPerAddress = Files10 },
            "--max-name-bytes-per-address" => new RegistrationQuotas { MaxNameBytesPerAddress = Bytes10 },
            "--max-files" => new RegistrationQuotas { MaxFiles = Files10 },
            _ => new RegistrationQuotas { MaxNameBytes = Bytes10 },
        };
        var registry = new InMemoryPeerRegistry(quotas, new SearchLimits());
        var files = Enumerable.Range(0, 10).Select(i => File($"file {i:0000}.txt")).ToList();
        var token = registry.Register(Alice, files);

        // One file more: by ADD, by a second peer of the same address, or (for the totals) by another address.
        var refused = Assert.Throws<RequestRefusedException>(() => registry.Add(token, [File("file 0010.txt")]));
        Assert.Equal(option, refused.Limit);
        Assert.Equal(ErrorCode.Busy, refused.Code);
        Assert.EndsWith($"({option})", refused.Message, StringComparison.Ordinal);
        if (option.EndsWith("-per-peer", StringComparison.Ordinal))
        {
            // Another peer of the same address has a quota of its own.
            registry.Register(AliceAgain, [File("file 0010.txt")]);
        }
        else
        {
            // The address's quota is shared by its peers; the totals by everyone.
            var other = option.EndsWith("-per-address", StringComparison.Ordinal) ? AliceAgain : Bob;
            Assert.Equal(option, Assert.Throws<RequestRefusedException>(() => registry.Register(other, [File("file 0010.txt")])).Limit);
        }

        // Nothing changed for the refused requests, and a REGISTER that replaces the files with as many fits.
        Assert.Equal(10, registry.FileCountOf(token));
        Assert.Equal(10, registry.FileCountOf(registry.Register(Alice, files)));
    }

    [Fact]
    public void Peers_of_one_IPv6_64_share_one_address_quota_and_another_64_has_its_own()
    {
        var registry = new InMemoryPeerRegistry(new RegistrationQuotas { MaxFilesPerAddress = 10 }, new SearchLimits());
        registry.Register(new PeerKey(IPAddress.Parse("2001:db8:0:1::1"), 3300), Files("a", 10));

        var refused = Assert.Throws<RequestRefusedException>(() => registry.Register(new PeerKey(IPAddress.Parse("2001:db8:0:1:ffff::2"), 3300), Files("b", 1)));
        Assert.Contains("2001:db8:0:1::/64", refused.Message, StringComparison.Ordinal);
        registry.Register(new PeerKey(IPAddress.Parse("2001:db8:0:2::1"), 3300), Files("c", 10));
    }

    [Fact]
    public void A_refused_REGISTER_leaves_the_previous_registration_and_a_refused_ADD_the_files_as_they_were()
    {
        var registry = new InMemoryPeerRegistry(new RegistrationQuotas { MaxFilesPerPeer = 3 }, new SearchLimits());
        var token = registry.Register(Alice, Files("kept", 3));

        Assert.Throws<RequestRefusedException>(() => registry.Register(Alice, Files("new", 4)));
        Assert.Throws<RequestRefusedException>(() => registry.Add(token, [File("one more")]));

        Assert.Equal(3, registry.FileCountOf(token));
        Assert.Equal(3, Assert.Single(registry.Search("kept", null, 1000)).Files.Count);
        Assert.Empty(registry.Search("new", null, 1000));
    }

    [Fact]
    public void What_a_peer_is_charged_goes_when_its_files_go()
    {
        var registry = new InMemoryPeerRegistry();
        var token = registry.Register(Alice, Files("song", 100));
        var other = registry.Register(AliceAgain, Files("film", 50));
        var both = registry.UsageOf(Alice.Address);
        Assert.Equal(150, both.Files);

        registry.Remove(token, [.. Enumerable.Range(0, 40).Select(i => $"song {i}.txt")]);
        Assert.Equal(110, registry.UsageOf(Alice.Address).Files);
        registry.Add(token, [File("song 0.txt"), File("song 50.txt")]); // one new, one replaced
        Assert.Equal(111, registry.UsageOf(Alice.Address).Files);

        registry.Unregister(token);
        registry.Unregister(other);
        Assert.Equal((0L, 0L, 0L), registry.UsageOf(Alice.Address));
    }

    [Fact]
    public void REGISTER_and_ADD_read_in_place_are_held_to_the_same_quotas()
    {
        var registry = new InMemoryPeerRegistry(new RegistrationQuotas { MaxFilesPerPeer = 2 }, new SearchLimits());
        var register = MessageCodec.EncodeFrame(new RegisterMessage(3301, Files("x", 3)));
        var refused = Assert.Throws<RequestRefusedException>(() => registry.Register(Alice, RegisterView.Parse(register.AsSpan(Limits.FrameHeaderLength)).Files));
        Assert.Equal("--max-files-per-peer", refused.Limit);
        Assert.Contains("would have 3 files registered", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, registry.FileCount);
    }
}
