using System.Buffers.Binary;
using System.Text;
using P2PShare.IntegrationTests.Infrastructure;
using P2PShare.Protocol;

namespace P2PShare.IntegrationTests;

/// <summary>
/// Issue 13, item 13 (from the read): bidirectional and zero-width characters were allowed in
/// names, so `evil` U+202E `txt.exe` showed as `evilexe.txt` and `ubuntu` U+200B `.iso` as
/// `ubuntu.iso`. Through real processes: a peer does not share such a file, and the directory
/// refuses a REGISTER that lists one (ERROR 1) and never lists it.
/// </summary>
public sealed class InvisibleCharacterNameTests : IAsyncDisposable
{
    private readonly TestCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Theory]
    [InlineData("evil\u202Etxt.exe")]
    [InlineData("ubuntu\u200B.iso")]
    [InlineData("note\u2066s.txt")]
    public async Task Also_from_the_read__a_name_with_an_invisible_format_character_is_neither_shared_nor_listed(string name)
    {
        var server = await _cluster.StartServerAsync();
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("peer"), name), 1000, 1);
        TestFiles.WriteRandom(Path.Combine(_cluster.ShareFolder("peer"), "plain.txt"), 1000, 2);
        var peer = await _cluster.StartPeerAsync(server, "peer", sharedFiles: 1);
        await peer.Process.WaitForErrorLineAsync("not sharing .*: ");

        await using (var client = await RawClient.ConnectAsync(server.Port, Channel.Directory))
        {
            await client.SendRawAsync(RegisterFrame(40_000, name));
            var error = await client.ReceiveErrorAsync();
            Assert.True(error.Code == ErrorCode.BadRequest, $"a REGISTER of \"{FileName.Printable(name)}\" was answered with {error}, not ERROR 1");
        }

        // The peer registered (its plain file is listed), and no one lists the other name.
        var plain = Assert.Single(await _cluster.SearchJsonAsync(server, "plain"));
        Assert.Equal(peer.Port, plain.Port);
        var visiblePart = name[..name.IndexOfAny(['\u202E', '\u200B', '\u2066'])];
        Assert.Empty(await _cluster.SearchJsonAsync(server, visiblePart));
    }

    /// <summary>A REGISTER frame of one 1-byte file named <paramref name="name"/>, made by hand: the codec refuses to write such a name.</summary>
    private static byte[] RegisterFrame(ushort port, string name)
    {
        var utf8 = Encoding.UTF8.GetBytes(name);
        var payload = new byte[6 + 2 + utf8.Length + 8 + 32];
        BinaryPrimitives.WriteUInt16BigEndian(payload, port);
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(2), 1);
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(6), (ushort)utf8.Length);
        utf8.CopyTo(payload, 8);
        BinaryPrimitives.WriteUInt64BigEndian(payload.AsSpan(8 + utf8.Length), 1);
        var frame = new byte[Limits.FrameHeaderLength + payload.Length];
        frame[0] = (byte)MessageType.Register;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, Limits.FrameHeaderLength);
        return frame;
    }
}
