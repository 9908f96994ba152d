using System.Net;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary>
/// The hot paths allocate nothing: every view parses and enumerates its message, and every
/// frame writer writes, without a single byte on the heap. Measured on this thread only, after a
/// warm-up, so nothing else running at the same time can disturb it.
/// </summary>
public class CodecAllocationTests
{
    private static readonly byte[][] Payloads =
    [
        .. new[] { "REGISTER", "SEARCH-unicode", "RESULTS", "GET-range", "DATA", "ERROR", "OK", "PING", "PONG", "ADD", "REMOVE", "HASHES", "HASH_LIST" }
            .Select(name => Wire.Payload(Wire.Sample(name))),
    ];

    private static readonly byte[] Types = [1, 2, 3, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12];

    [Fact]
    public void Parsing_every_message_with_its_view_allocates_nothing()
    {
        var checksum = ParseAll();
        Assert.Equal(0, ThreadAllocations.Fewest(3, () =>
        {
            for (var i = 0; i < 1000; i++)
            {
                checksum += ParseAll();
            }
        }));
        Assert.NotEqual(0UL, checksum);
    }

    [Fact]
    public void Validating_every_message_allocates_nothing()
    {
        ValidateAll();
        Assert.Equal(0, ThreadAllocations.Fewest(3, () =>
        {
            for (var i = 0; i < 1000; i++)
            {
                ValidateAll();
            }
        }));
    }

    [Fact]
    public void Writing_every_hot_frame_allocates_nothing()
    {
        var buffer = new byte[4096];
        var total = WriteAll(buffer);
        Assert.Equal(0, ThreadAllocations.Fewest(3, () =>
        {
            for (var i = 0; i < 1000; i++)
            {
                total += WriteAll(buffer);
            }
        }));
        Assert.True(total > 0);
    }

    [Fact]
    public void Checking_a_file_name_allocates_nothing()
    {
        var name = "music/some artist/some album/track 07 ü.flac"u8.ToArray();
        Assert.True(FileName.IsValidUtf8(name));
        Assert.Equal(0, ThreadAllocations.Fewest(3, () =>
        {
            for (var i = 0; i < 1000; i++)
            {
                FileName.EnsureValidUtf8(name);
                Assert.Null(FileName.Validate("music/some artist/some album/track 07 ü.flac"));
            }
        }));
    }

    private static ulong ParseAll()
    {
        ulong sum = 0;
        var register = RegisterView.Parse(Payloads[0]);
        foreach (var entry in register.Files)
        {
            sum += entry.Size + (ulong)entry.NameUtf8.Length;
        }

        sum += (ulong)SearchView.Parse(Payloads[1]).QueryUtf8.Length;
        foreach (var peer in ResultsView.Parse(Payloads[2]).Peers)
        {
            sum += peer.Port + (ulong)peer.AddressBytes.Length;
            foreach (var entry in peer.Files)
            {
                sum += entry.Size + (ulong)entry.NameUtf8.Length;
            }
        }

        var get = GetView.Parse(Payloads[3]);
        sum += get.Offset + get.Length + (ulong)get.FileNameUtf8.Length;
        sum += DataHeader.Parse(Payloads[4]).Length;
        sum += (ulong)ErrorView.Parse(Payloads[5]).TextUtf8.Length;
        sum += OkView.Parse(Payloads[6]).FileCount;
        EmptyPayload.Validate(MessageType.Ping, Payloads[7]);
        EmptyPayload.Validate(MessageType.Pong, Payloads[8]);
        foreach (var entry in AddView.Parse(Payloads[9]).Files)
        {
            sum += entry.Size;
        }

        foreach (var name in RemoveView.Parse(Payloads[10]).Names)
        {
            sum += (ulong)name.Length;
        }

        sum += HashesView.Parse(Payloads[11]).Id.IsZero ? 0UL : 1UL;
        sum += (ulong)HashListView.Parse(Payloads[12]).Count;
        return sum;
    }

    private static void ValidateAll()
    {
        for (var i = 0; i < Payloads.Length; i++)
        {
            MessageCodec.Validate(Types[i], Payloads[i], i == 3 ? Channel.Peer : Channel.Directory);
        }
    }

    private static int WriteAll(byte[] buffer)
    {
        var total = FrameWriter.WriteGet(buffer, "music/some artist/track 07.flac", 7 << 20, 1 << 20, Wire.HelloId);
        total += FrameWriter.WriteGet(buffer, "music/some artist/track 07.flac"u8);
        total += FrameWriter.WriteDataHeader(buffer, 7 << 20, 1 << 20);
        total += FrameWriter.WriteSearch(buffer, "some artist flac");
        total += FrameWriter.WriteOk(buffer, 1234);
        total += FrameWriter.WriteError(buffer, ErrorCode.NotFound, "no such file");
        total += FrameWriter.WriteHashes(buffer, Wire.HelloId);
        total += FrameWriter.WritePing(buffer) + FrameWriter.WritePong(buffer);

        var results = new ResultsFrameWriter(buffer);
        results.TryAddPeer(IPAddress.Loopback, 3300);
        results.TryAddFile("a/b.txt", 5, Wire.HelloId);
        results.TryAddFile("c.txt"u8, 6, Wire.HelloId);
        results.TryAddPeer(IPAddress.IPv6Loopback, 3301);
        results.TryAddFile("d.txt", 7, Wire.HelloId);
        total += results.Finish();
        return total;
    }
}
