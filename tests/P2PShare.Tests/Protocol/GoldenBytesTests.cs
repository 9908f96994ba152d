using System.Net;
using P2PShare.Protocol;

namespace P2PShare.Tests.Protocol;

/// <summary>
/// Exact frames written by hand from the specification (not produced by the encoder): encoding
/// must give these bytes and decoding them must give the message.
/// </summary>
public class GoldenBytesTests
{
    private const string HelloTxtEntry =
        "0009 68656c6c6f2e747874 | 0000000000000005 | " + Wire.HelloIdHex;

    /// <summary>SHA-256 of "hello": the one chunk digest of the file "hello", whose id is <see cref="Wire.HelloIdHex"/>.</summary>
    private const string HelloChunkDigestHex = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    private static void AssertGolden(Message message, Channel channel, string hex)
    {
        var expected = Wire.Hex(hex);
        Assert.Equal(Wire.ToHex(expected), Wire.ToHex(MessageCodec.EncodeFrame(message)));
        Assert.Equal(message, Wire.DecodeFrame(expected, channel));
    }

    [Fact]
    public void REGISTER() => AssertGolden(
        new RegisterMessage(3300, [Wire.HelloTxt]),
        Channel.Directory,
        // type 1, length 57 | port 3300 | count 1 | "hello.txt", size 5, id
        "01 00000039 | 0ce4 | 00000001 | " + HelloTxtEntry);

    [Fact]
    public void REGISTER_with_no_files() => AssertGolden(
        new RegisterMessage(3400, []),
        Channel.Directory,
        "01 00000006 | 0d48 | 00000000");

    [Fact]
    public void SEARCH() => AssertGolden(
        new SearchMessage("hello txt"),
        Channel.Directory,
        "02 0000000b | 0009 68656c6c6f20747874");

    [Fact]
    public void SEARCH_empty_query() => AssertGolden(
        new SearchMessage(""),
        Channel.Directory,
        "02 00000002 | 0000");

    [Fact]
    public void SEARCH_non_ascii_query_is_UTF8() => AssertGolden(
        new SearchMessage("é€"),
        Channel.Directory,
        "02 00000007 | 0005 c3a9 e282ac");

    [Fact]
    public void RESULTS() => AssertGolden(
        new ResultsMessage(
        [
            new PeerFiles(IPAddress.Parse("192.168.1.20"), 3300, [Wire.HelloTxt]),
            new PeerFiles(IPAddress.Parse("2001:db8::7"), 3301, [Wire.HelloTxt]),
        ]),
        Channel.Directory,
        // type 3, length 4 + 62 + 74 = 140 | peer count 2
        "03 0000008c | 00000002 |"
        // family 4, 192.168.1.20, port 3300, 1 file
        + "04 c0a80114 | 0ce4 | 00000001 |" + HelloTxtEntry
        // family 6, 2001:db8::7, port 3301, 1 file
        + "06 20010db8000000000000000000000007 | 0ce5 | 00000001 |" + HelloTxtEntry);

    [Fact]
    public void RESULTS_empty() => AssertGolden(
        new ResultsMessage([]),
        Channel.Directory,
        "03 00000004 | 00000000");

    [Fact]
    public void GET_short_form() => AssertGolden(
        new GetMessage("hello.txt"),
        Channel.Peer,
        "02 0000000b | 0009 68656c6c6f2e747874");

    [Fact]
    public void GET_with_offset_length_and_id() => AssertGolden(
        new GetMessage("hello.txt", 1, 3, Wire.HelloId),
        Channel.Peer,
        // type 2, length 59 | name | offset 1 | length 3 | id
        "02 0000003b | 0009 68656c6c6f2e747874 | 0000000000000001 | 0000000000000003 | " + Wire.HelloIdHex);

    [Fact]
    public void GET_with_offset_only_carries_a_zero_length_and_a_zero_id() => AssertGolden(
        new GetMessage("hello.txt", Offset: 0x0102030405060708),
        Channel.Peer,
        "02 0000003b | 0009 68656c6c6f2e747874 | 0102030405060708 | 0000000000000000 | " + new string('0', 64));

    [Fact]
    public void DATA() => AssertGolden(
        new DataMessage(1, 3),
        Channel.Peer,
        "04 00000010 | 0000000000000001 | 0000000000000003");

    [Fact]
    public void DATA_integers_are_big_endian() => AssertGolden(
        new DataMessage(0x0102030405060708, 0x1122334455667788),
        Channel.Peer,
        "04 00000010 | 0102030405060708 | 1122334455667788");

    [Fact]
    public void ERROR() => AssertGolden(
        new ErrorMessage(ErrorCode.NotFound, "no such file"),
        Channel.Peer,
        "05 00000010 | 0002 | 000c 6e6f20737563682066696c65");

    [Fact]
    public void ERROR_unsupported() => AssertGolden(
        new ErrorMessage(ErrorCode.Unsupported, "x"),
        Channel.Directory,
        "05 00000005 | 0005 | 0001 78");

    [Fact]
    public void OK() => AssertGolden(
        new OkMessage(1),
        Channel.Directory,
        "06 00000004 | 00000001");

    [Fact]
    public void OK_large_count() => AssertGolden(
        new OkMessage(0xdeadbeef),
        Channel.Directory,
        "06 00000004 | deadbeef");

    [Fact]
    public void PING() => AssertGolden(PingMessage.Instance, Channel.Directory, "07 00000000");

    [Fact]
    public void PONG() => AssertGolden(PongMessage.Instance, Channel.Peer, "08 00000000");

    [Fact]
    public void ADD() => AssertGolden(
        new AddMessage([new FileEntry("b.bin", 0, Wire.EmptyId)]),
        Channel.Directory,
        "09 00000033 | 00000001 | 0005 622e62696e | 0000000000000000 | " + Wire.EmptyIdHex);

    [Fact]
    public void REMOVE() => AssertGolden(
        new RemoveMessage(["hello.txt"]),
        Channel.Directory,
        "0a 0000000f | 00000001 | 0009 68656c6c6f2e747874");

    [Fact]
    public void HASHES() => AssertGolden(
        new HashesMessage(Wire.HelloId),
        Channel.Peer,
        // type 11, length 32 | id
        "0b 00000020 | " + Wire.HelloIdHex);

    [Fact]
    public void HASH_LIST_of_an_empty_file() => AssertGolden(
        new HashListMessage(1_048_576, []),
        Channel.Peer,
        // type 12, length 8 | chunk size 1 MiB | count 0
        "0c 00000008 | 00100000 | 00000000");

    [Fact]
    public void HASH_LIST_of_hello() => AssertGolden(
        new HashListMessage(1_048_576, Convert.FromHexString(HelloChunkDigestHex)),
        Channel.Peer,
        // type 12, length 40 | chunk size 1 MiB | count 1 | SHA-256("hello")
        "0c 00000028 | 00100000 | 00000001 | " + HelloChunkDigestHex);

    [Fact]
    public void HASH_LIST_of_three_chunks() => AssertGolden(
        Wire.HashList(0, 32, 0xe0),
        Channel.Peer,
        // type 12, length 8 + 96 = 104 | chunk size 1 MiB | count 3 | three digests
        "0c 00000068 | 00100000 | 00000003 |"
        + "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f |"
        + "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f |"
        + "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");

    [Fact]
    public void The_HASH_LIST_of_hello_matches_the_id_of_hello()
    {
        var list = new HashListMessage(1_048_576, Convert.FromHexString(HelloChunkDigestHex));
        Assert.True(list.Matches(Wire.HelloId));
        Assert.False(list.Matches(Wire.EmptyId));
        Assert.True(new HashListMessage(1_048_576, []).Matches(Wire.EmptyId));
    }
}
