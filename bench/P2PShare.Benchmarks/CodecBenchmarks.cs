using System.Net;
using BenchmarkDotNet.Attributes;
using P2PShare.Protocol;

namespace P2PShare.Benchmarks;

/// <summary>
/// Encoding and decoding every message through the allocation-free API: <see cref="FrameWriter"/>,
/// <see cref="ResultsFrameWriter"/> and <see cref="MessageCodec.WriteFrame"/> (for the rare
/// REGISTER/ADD/REMOVE, from a message built once) to write; the views (<see cref="GetView"/>, ...)
/// to read, touching every field and entry. Allocations per operation are the figure to watch:
/// issue 5 wants none. The frame round trip is in <see cref="FrameRoundTripBenchmarks"/>.
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private const string TrackName = "music/some artist/some album/track 07.flac";

    private static readonly ContentId SomeId = ContentHasher.Compute([1, 2, 3]);

    private static readonly FileEntry[] Files =
    [
        new(TrackName, 31_457_280, SomeId),
        new("music/some artist/some album/cover.jpg", 524_288, ContentHasher.Compute([4])),
        new("music/some artist/some album/track 08.flac", 29_360_128, ContentHasher.Compute([5])),
        new("documents/report 2026.pdf", 1_048_577, ContentHasher.Compute([6])),
    ];

    private static readonly (IPAddress Address, ushort Port, FileEntry[] Files)[] Matches =
    [
        (IPAddress.Parse("192.168.1.20"), 3300, Files[..3]),
        (IPAddress.Parse("2001:db8::7"), 3301, Files[1..]),
    ];

    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly byte[] _digests = new byte[3 * 32];
    private readonly RegisterMessage _register = new(3300, Files);
    private readonly AddMessage _add = new(Files[..2]);
    private readonly RemoveMessage _remove = new([TrackName, "documents/report 2026.pdf"]);

    private byte[] _registerPayload = [];
    private byte[] _searchPayload = [];
    private byte[] _resultsPayload = [];
    private byte[] _getPayload = [];
    private byte[] _dataPayload = [];
    private byte[] _errorPayload = [];
    private byte[] _okPayload = [];
    private byte[] _addPayload = [];
    private byte[] _removePayload = [];
    private byte[] _hashesPayload = [];
    private byte[] _hashListPayload = [];

    [GlobalSetup]
    public void Setup()
    {
        _registerPayload = Payload(_register);
        _searchPayload = Payload(new SearchMessage("some artist flac"));
        _resultsPayload = Payload(new ResultsMessage([.. Matches.Select(m => new PeerFiles(m.Address, m.Port, m.Files))]));
        _getPayload = Payload(new GetMessage(TrackName, 7 * 1024 * 1024, 1024 * 1024, SomeId));
        _dataPayload = Payload(new DataMessage(7 * 1024 * 1024, 1024 * 1024));
        _errorPayload = Payload(new ErrorMessage(ErrorCode.NotFound, "no shared file named \"x\""));
        _okPayload = Payload(new OkMessage(1234));
        _addPayload = Payload(_add);
        _removePayload = Payload(_remove);
        _hashesPayload = Payload(new HashesMessage(SomeId));
        _hashListPayload = Payload(new HashListMessage(Limits.ChunkSize, _digests));
    }

    // ---- Encoding ----------------------------------------------------------------------------

    [Benchmark]
    public int WriteRegister() => MessageCodec.WriteFrame(_register, _buffer);

    [Benchmark]
    public int WriteSearch() => FrameWriter.WriteSearch(_buffer, "some artist flac");

    [Benchmark]
    public int WriteResults()
    {
        var writer = new ResultsFrameWriter(_buffer);
        foreach (var (address, port, files) in Matches)
        {
            writer.TryAddPeer(address, port);
            foreach (var file in files)
            {
                writer.TryAddFile(file.Name, file.Size, file.Id);
            }
        }

        return writer.Finish();
    }

    [Benchmark]
    public int WriteGet() => FrameWriter.WriteGet(_buffer, TrackName, 7 * 1024 * 1024, 1024 * 1024, SomeId);

    [Benchmark]
    public int WriteDataHeader() => FrameWriter.WriteDataHeader(_buffer, 7 * 1024 * 1024, 1024 * 1024);

    [Benchmark]
    public int WriteError() => FrameWriter.WriteError(_buffer, ErrorCode.NotFound, "no shared file named \"x\"");

    [Benchmark]
    public int WriteOk() => FrameWriter.WriteOk(_buffer, 1234);

    [Benchmark]
    public int WritePing() => FrameWriter.WritePing(_buffer);

    [Benchmark]
    public int WritePong() => FrameWriter.WritePong(_buffer);

    [Benchmark]
    public int WriteAdd() => MessageCodec.WriteFrame(_add, _buffer);

    [Benchmark]
    public int WriteRemove() => MessageCodec.WriteFrame(_remove, _buffer);

    [Benchmark]
    public int WriteHashes() => FrameWriter.WriteHashes(_buffer, SomeId);

    [Benchmark]
    public int WriteHashList() => FrameWriter.WriteHashList(_buffer, _digests);

    // ---- Decoding ----------------------------------------------------------------------------

    [Benchmark]
    public ulong ReadRegister()
    {
        var view = RegisterView.Parse(_registerPayload);
        var sum = (ulong)view.ListenPort;
        foreach (var file in view.Files)
        {
            sum += file.Size + (ulong)file.NameUtf8.Length;
        }

        return sum;
    }

    [Benchmark]
    public int ReadSearch() => SearchView.Parse(_searchPayload).QueryUtf8.Length;

    [Benchmark]
    public ulong ReadResults()
    {
        ulong sum = 0;
        foreach (var peer in ResultsView.Parse(_resultsPayload).Peers)
        {
            sum += peer.Port;
            foreach (var file in peer.Files)
            {
                sum += file.Size + (ulong)file.NameUtf8.Length;
            }
        }

        return sum;
    }

    [Benchmark]
    public ulong ReadGet()
    {
        var view = GetView.Parse(_getPayload);
        return view.Offset + view.Length + (ulong)view.FileNameUtf8.Length;
    }

    [Benchmark]
    public ulong ReadDataHeader() => DataHeader.Parse(_dataPayload).Length;

    [Benchmark]
    public int ReadError() => ErrorView.Parse(_errorPayload).TextUtf8.Length;

    [Benchmark]
    public uint ReadOk() => OkView.Parse(_okPayload).FileCount;

    [Benchmark]
    public void ReadPing() => EmptyPayload.Validate(MessageType.Ping, []);

    [Benchmark]
    public void ReadPong() => EmptyPayload.Validate(MessageType.Pong, []);

    [Benchmark]
    public ulong ReadAdd()
    {
        ulong sum = 0;
        foreach (var file in AddView.Parse(_addPayload).Files)
        {
            sum += file.Size + (ulong)file.NameUtf8.Length;
        }

        return sum;
    }

    [Benchmark]
    public int ReadRemove()
    {
        var sum = 0;
        foreach (var name in RemoveView.Parse(_removePayload).Names)
        {
            sum += name.Length;
        }

        return sum;
    }

    [Benchmark]
    public bool ReadHashes() => HashesView.Parse(_hashesPayload).Id.IsZero;

    [Benchmark]
    public int ReadHashList() => HashListView.Parse(_hashListPayload).Count;

    private static byte[] Payload(Message message) => MessageCodec.EncodeFrame(message)[Limits.FrameHeaderLength..];
}
