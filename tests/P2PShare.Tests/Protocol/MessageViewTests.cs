using System.Net;
using System.Text;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary>
/// The allocation-free views read every message exactly as the class decoder does. (Every
/// malformed case of <see cref="MalformedFrameTests"/> also checks <see cref="MessageCodec.Validate"/>
/// against <see cref="MessageCodec.Decode"/>, through <see cref="Wire.AssertRefused"/>.)
/// </summary>
public class MessageViewTests
{
    public static TheoryData<string> Samples => new(Wire.SampleNames);

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_sample_is_valid_and_its_view_gives_back_the_message(string sample)
    {
        var message = Wire.Sample(sample);
        var payload = Wire.Payload(message);
        var channel = Wire.ChannelOf(message);

        MessageCodec.Validate((byte)message.Type, payload, channel);
        Assert.Equal(message, ViewToMessage(message.Type, payload, channel));
        Assert.Equal(message, MessageCodec.Decode((byte)message.Type, payload, channel));
    }

    [Fact]
    public void GetView_gives_the_name_as_UTF8_and_the_range()
    {
        var view = GetView.Parse(Wire.Payload(new GetMessage("dir/ä.txt", 1, 3, Wire.HelloId)));
        Assert.True(view.FileNameUtf8.SequenceEqual("dir/ä.txt"u8));
        Assert.Equal("dir/ä.txt", view.GetFileName());
        Assert.Equal(1UL, view.Offset);
        Assert.Equal(3UL, view.Length);
        Assert.Equal(Wire.HelloId, view.Id);
        Assert.True(view.HasRange);

        var shortForm = GetView.Parse(Wire.Payload(new GetMessage("a")));
        Assert.False(shortForm.HasRange);
        Assert.Equal(ContentId.Zero, shortForm.Id);
    }

    [Fact]
    public void RegisterView_enumerates_its_entries_in_order()
    {
        var message = (RegisterMessage)Wire.Sample("REGISTER");
        var view = RegisterView.Parse(Wire.Payload(message));

        Assert.Equal(message.ListenPort, view.ListenPort);
        Assert.Equal(message.Files.Count, view.Count);
        var i = 0;
        foreach (var entry in view.Files)
        {
            Assert.True(entry.NameUtf8.SequenceEqual(Encoding.UTF8.GetBytes(message.Files[i].Name)));
            Assert.Equal(message.Files[i].Size, entry.Size);
            Assert.Equal(message.Files[i].Id, entry.Id);
            i++;
        }

        Assert.Equal(message.Files.Count, i);
    }

    [Fact]
    public void ResultsView_enumerates_peers_and_their_files()
    {
        var message = (ResultsMessage)Wire.Sample("RESULTS");
        var view = ResultsView.Parse(Wire.Payload(message));

        Assert.Equal(message.Peers.Count, view.PeerCount);
        Assert.Equal(message.Peers.Sum(p => p.Files.Count), view.FileCount);
        var p = 0;
        foreach (var peer in view.Peers)
        {
            Assert.Equal(message.Peers[p].Address, peer.GetAddress());
            Assert.Equal(message.Peers[p].Port, peer.Port);
            Assert.Equal(message.Peers[p].Files.Count, peer.FileCount);
            var names = new List<string>();
            foreach (var file in peer.Files)
            {
                names.Add(file.GetName());
            }

            Assert.Equal(message.Peers[p].Files.Select(f => f.Name), names);
            p++;
        }

        Assert.Equal(message.Peers.Count, p);
    }

    [Fact]
    public void RemoveView_enumerates_the_names()
    {
        var view = RemoveView.Parse(Wire.Payload(Wire.Sample("REMOVE")));
        var names = new List<string>();
        foreach (var name in view.Names)
        {
            names.Add(Encoding.UTF8.GetString(name));
        }

        Assert.Equal(["hello.txt", "music/äöü ♫.ogg"], names);
    }

    [Fact]
    public void The_small_views_give_their_fields()
    {
        Assert.Equal(new DataHeader(ulong.MaxValue - 1, ulong.MaxValue), DataHeader.Parse(Wire.Payload(Wire.Sample("DATA-max"))));
        Assert.Equal(uint.MaxValue, OkView.Parse(Wire.Payload(Wire.Sample("OK-max"))).FileCount);
        Assert.Equal(Wire.HelloId, HashesView.Parse(Wire.Payload(Wire.Sample("HASHES"))).Id);

        var error = ErrorView.Parse(Wire.Payload(new ErrorMessage((ErrorCode)999, "nö")));
        Assert.Equal((ErrorCode)999, error.Code);
        Assert.True(error.TextUtf8.SequenceEqual("nö"u8));

        Assert.True(SearchView.Parse(Wire.Payload(new SearchMessage("a b"))).QueryUtf8.SequenceEqual("a b"u8));
    }

    [Fact]
    public void HashListView_matches_like_the_message()
    {
        // HASH_LIST of "hello": one digest, SHA-256 of "hello" (PROTOCOL.md 5.12).
        var content = Wire.Hex("00100000 00000001 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        var view = HashListView.Parse(content);
        Assert.Equal(1, view.Count);
        Assert.True(view.Matches(Wire.HelloId));
        Assert.False(view.Matches(Wire.EmptyId));
        Assert.True(view.Digest(0).SequenceEqual(content.AsSpan(8)));
    }

    [Theory]
    [InlineData(MessageType.Ping)]
    [InlineData(MessageType.Pong)]
    public void Empty_payloads_are_checked(MessageType type)
    {
        EmptyPayload.Validate(type, []);
        var ex = Assert.Throws<ProtocolException>(() => EmptyPayload.Validate(type, [1]));
        Assert.Equal(ErrorCode.BadRequest, ex.Code);
        Assert.Throws<ArgumentOutOfRangeException>(() => EmptyPayload.Validate(MessageType.Ok, []));
    }

    [Fact]
    public void A_view_stays_inside_its_payload()
    {
        // A GET inside a larger buffer: the view reads only the slice it was given.
        var payload = Wire.Payload(new GetMessage("a.txt"));
        var buffer = new byte[payload.Length + 10];
        payload.CopyTo(buffer, 3);
        Assert.Equal("a.txt", GetView.Parse(buffer.AsSpan(3, payload.Length)).GetFileName());
    }

    [Fact]
    public void Validate_refuses_what_Decode_refuses_for_a_lying_IPv6_peer()
    {
        Wire.AssertRefused(ErrorCode.BadRequest, 3, Wire.Hex("00000001 06 00000000000000000000000000000001 0ce4 00000001 0001 61"), Channel.Directory);
    }

    [Fact]
    public void An_IPv6_peer_reads_back_as_IPv6()
    {
        var message = new ResultsMessage([new PeerFiles(IPAddress.Parse("2001:db8::7"), 1, [Wire.HelloTxt])]);
        foreach (var peer in ResultsView.Parse(Wire.Payload(message)).Peers)
        {
            Assert.Equal(16, peer.AddressBytes.Length);
        }
    }

    private static Message ViewToMessage(MessageType type, byte[] payload, Channel channel) => type switch
    {
        MessageType.Register => RegisterView.Parse(payload).ToMessage(),
        MessageType.SearchOrGet when channel == Channel.Directory => SearchView.Parse(payload).ToMessage(),
        MessageType.SearchOrGet => GetView.Parse(payload).ToMessage(),
        MessageType.Results => ResultsView.Parse(payload).ToMessage(),
        MessageType.Data => DataHeader.Parse(payload).ToMessage(),
        MessageType.Error => ErrorView.Parse(payload).ToMessage(),
        MessageType.Ok => OkView.Parse(payload).ToMessage(),
        MessageType.Ping => Empty(type, payload, PingMessage.Instance),
        MessageType.Pong => Empty(type, payload, PongMessage.Instance),
        MessageType.Add => AddView.Parse(payload).ToMessage(),
        MessageType.Remove => RemoveView.Parse(payload).ToMessage(),
        MessageType.Hashes => HashesView.Parse(payload).ToMessage(),
        MessageType.HashList => HashListView.Parse(payload).ToMessage(),
        MessageType.Locate => LocateView.Parse(payload).ToMessage(),
        MessageType.Sources => SourcesView.Parse(payload).ToMessage(),
        MessageType.Hold => HoldView.Parse(payload).ToMessage(),
        MessageType.Chunks => ChunksView.Parse(payload).ToMessage(),
        MessageType.ChunkMap => ChunkMapView.Parse(payload).ToMessage(),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    private static Message Empty(MessageType type, byte[] payload, Message instance)
    {
        EmptyPayload.Validate(type, payload);
        return instance;
    }
}
