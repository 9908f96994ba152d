using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary>
/// Issue 13 item 4 (from the read): frames are sized per role and type, from the header, before
/// anything is read or allocated. The upload server accepted 16 MiB frames of any type though
/// its largest legitimate one is a GET of 1,074 bytes. Each table is checked here byte for byte
/// against PROTOCOL.md section 4.
/// </summary>
public sealed class FrameLimitsTests
{
    private const int MiB16 = 16 * 1024 * 1024;

    public static TheoryData<string, byte, int?> Tables => new()
    {
        // Upload server, receiving from downloaders.
        { "upload", 2, 1074 },
        { "upload", 11, 32 },
        { "upload", 7, 0 },
        { "upload", 8, 0 },
        { "upload", 5, 4096 },
        { "upload", 1, null },
        { "upload", 3, null },
        { "upload", 4, null },
        { "upload", 6, null },
        { "upload", 9, null },
        { "upload", 10, null },
        { "upload", 12, null },
        { "upload", 16, 32 },
        { "upload", 13, null },
        { "upload", 14, null },
        { "upload", 15, null },
        { "upload", 17, null },

        // Downloader, receiving from an upload server.
        { "downloader", 4, 16 },
        { "downloader", 12, MiB16 },
        { "downloader", 7, 0 },
        { "downloader", 8, 0 },
        { "downloader", 5, 4096 },
        { "downloader", 1, null },
        { "downloader", 2, null },
        { "downloader", 3, null },
        { "downloader", 6, null },
        { "downloader", 9, null },
        { "downloader", 10, null },
        { "downloader", 11, null },
        { "downloader", 17, 131_076 },
        { "downloader", 13, null },
        { "downloader", 14, null },
        { "downloader", 15, null },
        { "downloader", 16, null },

        // Directory server, receiving from peers (the query limit at its most: 65,535).
        { "directory", 1, MiB16 },
        { "directory", 9, MiB16 },
        { "directory", 10, MiB16 },
        { "directory", 2, 65_537 },
        { "directory", 7, 0 },
        { "directory", 8, 0 },
        { "directory", 5, 4096 },
        { "directory", 3, null },
        { "directory", 4, null },
        { "directory", 6, null },
        { "directory", 11, null },
        { "directory", 12, null },
        { "directory", 13, 32 },
        { "directory", 15, 45_060 },
        { "directory", 14, null },
        { "directory", 16, null },
        { "directory", 17, null },

        // A peer's directory client, receiving from the server.
        { "client", 3, MiB16 },
        { "client", 6, 4 },
        { "client", 7, 0 },
        { "client", 8, 0 },
        { "client", 5, 4096 },
        { "client", 1, null },
        { "client", 2, null },
        { "client", 4, null },
        { "client", 9, null },
        { "client", 10, null },
        { "client", 11, null },
        { "client", 12, null },
        { "client", 14, 32_062 },
        { "client", 13, null },
        { "client", 15, null },
        { "client", 16, null },
        { "client", 17, null },
    };

    [Theory]
    [MemberData(nameof(Tables))]
    public void Each_role_accepts_exactly_its_types_up_to_their_sizes(string role, byte type, int? max)
    {
        var limits = Role(role);
        Assert.Equal(max, limits.MaxPayload((MessageType)type));
        if (max is { } limit)
        {
            Assert.Equal(new FrameHeader(type, (uint)limit), FrameHeader.Parse(Header(type, (uint)limit), limits));
            var tooLarge = Assert.Throws<ProtocolException>(() => FrameHeader.Parse(Header(type, (uint)limit + 1), limits));
            Assert.Equal(ErrorCode.TooLarge, tooLarge.Code);
            Assert.Contains($"limit of {limit} bytes", tooLarge.Message, StringComparison.Ordinal);
        }
        else
        {
            // Not expected here: refused from the header whatever the length, even 0.
            foreach (var length in new uint[] { 0, 1, MiB16 })
            {
                var unexpected = Assert.Throws<ProtocolException>(() => FrameHeader.Parse(Header(type, length), limits));
                Assert.Equal(ErrorCode.BadRequest, unexpected.Code);
                Assert.StartsWith("unexpected ", unexpected.Message, StringComparison.Ordinal);
                Assert.Contains(limits.Role, unexpected.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void The_upload_server_refuses_a_16_MiB_GET_and_RESULTS_and_DATA_from_the_header()
    {
        var limits = FrameLimits.UploadServer;

        Assert.Equal(ErrorCode.TooLarge, Refusal(Header(2, MiB16), limits));
        Assert.Equal(ErrorCode.BadRequest, Refusal(Header(3, 4), limits));
        Assert.Equal(ErrorCode.BadRequest, Refusal(Header(4, 16), limits));
        Assert.Contains("unexpected DATA (type 4): an upload server does not receive it", Assert.Throws<ProtocolException>(() => FrameHeader.Parse(Header(4, 16), limits)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Over_16_MiB_is_too_large_and_an_unknown_type_unsupported_for_every_role_before_the_role_is_asked()
    {
        foreach (var limits in new[] { FrameLimits.UploadServer, FrameLimits.Downloader, FrameLimits.DirectoryClient, FrameLimits.DirectoryServer(10) })
        {
            Assert.Equal(ErrorCode.TooLarge, Refusal(Header(4, MiB16 + 1), limits));
            Assert.Equal(ErrorCode.TooLarge, Refusal(Header(0, uint.MaxValue), limits));
            Assert.Equal(ErrorCode.Unsupported, Refusal(Header(18, 0), limits));
            Assert.Equal(ErrorCode.Unsupported, Refusal(Header(0, 0), limits));
        }
    }

    [Fact]
    public void The_directory_table_follows_the_query_limit_it_is_made_with()
    {
        var limits = FrameLimits.DirectoryServer(100);

        Assert.Equal(102, limits.MaxPayload(MessageType.SearchOrGet));
        Assert.Equal(ErrorCode.TooLarge, Refusal(Header(2, 103), limits));
        Assert.Equal(Channel.Directory, limits.Channel);
        Assert.Equal(2, FrameLimits.DirectoryServer(0).MaxPayload(MessageType.SearchOrGet));
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameLimits.DirectoryServer(65_536));
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameLimits.DirectoryServer(-1));
    }

    [Fact]
    public void A_table_can_be_narrowed_for_one_type_but_not_widened()
    {
        var narrowed = FrameLimits.Downloader.WithMaxPayload(MessageType.HashList, 8 + (32 * 3));

        Assert.Equal(104, narrowed.MaxPayload(MessageType.HashList));
        Assert.Equal(MiB16, FrameLimits.Downloader.MaxPayload(MessageType.HashList));
        Assert.Equal(16, narrowed.MaxPayload(MessageType.Data));
        Assert.Equal(FrameLimits.Downloader.Role, narrowed.Role);
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameLimits.UploadServer.WithMaxPayload(MessageType.Hashes, 33));
        Assert.Throws<ArgumentException>(() => FrameLimits.UploadServer.WithMaxPayload(MessageType.Data, 16));
    }

    [Fact]
    public void Any_role_accepts_every_type_of_its_channel_up_to_16_MiB()
    {
        foreach (var channel in new[] { Channel.Directory, Channel.Peer })
        {
            var limits = FrameLimits.AnyRole(channel);
            Assert.Equal(channel, limits.Channel);
            for (byte type = 1; type <= 12; type++)
            {
                Assert.Equal(MiB16, limits.MaxPayload((MessageType)type));
            }
        }
    }

    private static FrameLimits Role(string role) => role switch
    {
        "upload" => FrameLimits.UploadServer,
        "downloader" => FrameLimits.Downloader,
        "directory" => FrameLimits.DirectoryServer(Limits.MaxStringBytes),
        "client" => FrameLimits.DirectoryClient,
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    private static byte[] Header(byte type, uint length)
    {
        var header = new byte[Limits.FrameHeaderLength];
        new FrameHeader(type, length).Write(header);
        return header;
    }

    private static ErrorCode Refusal(byte[] header, FrameLimits limits) =>
        Assert.Throws<ProtocolException>(() => FrameHeader.Parse(header, limits)).Code;
}
