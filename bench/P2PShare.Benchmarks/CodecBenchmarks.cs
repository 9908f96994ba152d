using BenchmarkDotNet.Attributes;
using P2PShare.Protocol;

namespace P2PShare.Benchmarks;

/// <summary>
/// Encoding and decoding the messages of the hot paths: the chunk GET a downloader sends, the
/// DATA header an uploader answers with, SEARCH and OK. Allocations per operation are the figure
/// to watch (issue 5 wants none on these paths).
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly GetMessage _get = new("music/some artist/some album/track 07.flac", 7 * 1024 * 1024, 1024 * 1024, ContentHasher.Compute([1, 2, 3]));
    private readonly DataMessage _data = new(7 * 1024 * 1024, 1024 * 1024);
    private readonly SearchMessage _search = new("some artist flac");
    private readonly OkMessage _ok = new(1234);
    private byte[] _getFrame = [];
    private byte[] _dataFrame = [];
    private byte[] _searchFrame = [];

    [GlobalSetup]
    public void Setup()
    {
        _getFrame = MessageCodec.EncodeFrame(_get);
        _dataFrame = MessageCodec.EncodeFrame(_data);
        _searchFrame = MessageCodec.EncodeFrame(_search);
    }

    [Benchmark]
    public int WriteGet() => MessageCodec.WriteFrame(_get, _buffer);

    [Benchmark]
    public int WriteDataHeader() => MessageCodec.WriteFrame(_data, _buffer);

    [Benchmark]
    public int WriteSearch() => MessageCodec.WriteFrame(_search, _buffer);

    [Benchmark]
    public int WriteOk() => MessageCodec.WriteFrame(_ok, _buffer);

    [Benchmark]
    public Message ReadGet() => Decode(_getFrame, Channel.Peer);

    [Benchmark]
    public Message ReadDataHeader() => Decode(_dataFrame, Channel.Peer);

    [Benchmark]
    public Message ReadSearch() => Decode(_searchFrame, Channel.Directory);

    private static Message Decode(byte[] frame, Channel channel)
    {
        var header = FrameHeader.Parse(frame);
        return MessageCodec.Decode(header.Type, frame.AsSpan(Limits.FrameHeaderLength, (int)header.PayloadLength), channel);
    }
}
