using System.Net;
using System.Text;
using System.Text.Unicode;
using P2PShare.Protocol;
using static P2PShare.Fuzz.ContractViolationException;

namespace P2PShare.Fuzz;

/// <summary>
/// The allocation-free views, walked field by field with their enumerators, must say what the
/// decoded record says: the directory and the downloader read the views, the tests the records.
/// </summary>
internal static class ViewAgreement
{
    public static void Check(Message decoded, ReadOnlySpan<byte> payload)
    {
        switch (decoded)
        {
            case RegisterMessage m:
                var register = RegisterView.Parse(payload);
                Require(register.ListenPort == m.ListenPort && register.ListenPort != 0, "REGISTER view port");
                CheckEntries(register.Files, register.Count, m.Files, "REGISTER");
                break;
            case AddMessage m:
                var add = AddView.Parse(payload);
                CheckEntries(add.Files, add.Count, m.Files, "ADD");
                break;
            case RemoveMessage m:
                CheckNames(RemoveView.Parse(payload), m.Names);
                break;
            case SearchMessage m:
                var search = SearchView.Parse(payload);
                Require(Utf8.IsValid(search.QueryUtf8) && search.GetQuery() == m.Query, "SEARCH view query");
                break;
            case ResultsMessage m:
                CheckResults(ResultsView.Parse(payload), m);
                break;
            case GetMessage m:
                var get = GetView.Parse(payload);
                Require(FileName.IsValidUtf8(get.FileNameUtf8) && get.GetFileName() == m.FileName, "GET view name");
                Require(get.Offset == m.Offset && get.Length == m.Length && get.Id == m.Id && get.HasRange == m.HasRange, "GET view range");
                break;
            case DataMessage m:
                var data = DataHeader.Parse(payload);
                Require(data.Offset == m.Offset && data.Length == m.Length, "DATA header fields");
                Span<byte> frame = stackalloc byte[DataHeader.FrameLength];
                Require(data.WriteFrame(frame) == DataHeader.FrameLength && frame[Limits.FrameHeaderLength..].SequenceEqual(payload), "DATA header written back");
                break;
            case ErrorMessage m:
                var error = ErrorView.Parse(payload);
                Require(error.Code == m.Code && Utf8.IsValid(error.TextUtf8) && error.GetText() == m.Text, "ERROR view fields");
                break;
            case OkMessage m:
                Require(OkView.Parse(payload).FileCount == m.FileCount, "OK view count");
                break;
            case PingMessage or PongMessage:
                EmptyPayload.Validate(decoded.Type, payload);
                Require(payload.IsEmpty, $"{decoded.Name} with a payload");
                break;
            case HashesMessage m:
                Require(HashesView.Parse(payload).Id == m.Id, "HASHES view id");
                break;
            case HashListMessage m:
                CheckHashList(HashListView.Parse(payload), m, payload.Length);
                break;
            case LocateMessage m:
                Require(LocateView.Parse(payload).Id == m.Id && !m.Id.IsZero, "LOCATE view id");
                break;
            case ChunksMessage m:
                Require(ChunksView.Parse(payload).Id == m.Id, "CHUNKS view id");
                break;
            case SourcesMessage m:
                CheckSources(SourcesView.Parse(payload), m);
                break;
            case HoldMessage m:
                CheckHold(HoldView.Parse(payload), m);
                break;
            case ChunkMapMessage m:
                CheckChunkMap(ChunkMapView.Parse(payload), m, payload.Length);
                break;
            default:
                throw new ContractViolationException($"no view check for {decoded.Name}");
        }
    }

    private static void CheckEntries(FileEntryEnumerator files, int count, IReadOnlyList<FileEntry> expected, string what)
    {
        Require(files.Count == count && count == expected.Count, $"{what} view counts {count} entries, the record {expected.Count}");
        var i = 0;
        foreach (var file in files)
        {
            Require(i < expected.Count, $"{what} view enumerates more than {expected.Count} entries");
            Require(FileName.IsValidUtf8(file.NameUtf8), $"{what} view entry {i} has an invalid name");
            Require(file.ToFileEntry() == expected[i], $"{what} view entry {i} differs from the record");
            i++;
        }

        Require(i == expected.Count, $"{what} view enumerates {i} of {expected.Count} entries");
    }

    private static void CheckNames(RemoveView view, IReadOnlyList<string> expected)
    {
        Require(view.Count == expected.Count && view.Names.Count == expected.Count, "REMOVE view count");
        var i = 0;
        foreach (var name in view.Names)
        {
            Require(i < expected.Count, "REMOVE view enumerates too many names");
            Require(FileName.IsValidUtf8(name) && Encoding.UTF8.GetString(name) == expected[i], $"REMOVE view name {i}");
            i++;
        }

        Require(i == expected.Count, $"REMOVE view enumerates {i} of {expected.Count} names");
    }

    private static void CheckResults(ResultsView view, ResultsMessage expected)
    {
        Require(view.PeerCount == expected.Peers.Count && view.Peers.Count == view.PeerCount, "RESULTS view peer count");
        Require(view.FileCount == expected.Peers.Sum(peer => peer.Files.Count), "RESULTS view file count");
        var p = 0;
        foreach (var peer in view.Peers)
        {
            Require(p < expected.Peers.Count, "RESULTS view enumerates too many peers");
            var record = expected.Peers[p];
            Require(peer.AddressBytes.Length is 4 or 16, $"RESULTS view peer {p} address of {peer.AddressBytes.Length} bytes");
            Require(new IPAddress(peer.AddressBytes).Equals(record.Address) && peer.GetAddress().Equals(record.Address), $"RESULTS view peer {p} address");
            Require(peer.Port == record.Port, $"RESULTS view peer {p} port");
            CheckEntries(peer.Files, peer.FileCount, record.Files, $"RESULTS peer {p}");
            p++;
        }

        Require(p == expected.Peers.Count, $"RESULTS view enumerates {p} of {expected.Peers.Count} peers");
    }

    private static void CheckSources(SourcesView view, SourcesMessage expected)
    {
        Require(view.Id == expected.Id && view.Count == expected.Sources.Count && view.Count <= Limits.MaxSources, "SOURCES view id and count");
        var i = 0;
        foreach (var source in view.Sources)
        {
            Require(i < expected.Sources.Count, "SOURCES view enumerates too many sources");
            var record = expected.Sources[i];
            Require(source.AddressBytes.Length is 4 or 16 && source.GetAddress().Equals(record.Address), $"SOURCES view source {i} address");
            Require(source.Port == record.Port && source.Size == record.Size && source.Held == record.Held, $"SOURCES view source {i} fields");
            i++;
        }

        Require(i == expected.Sources.Count, $"SOURCES view enumerates {i} of {expected.Sources.Count} sources");
    }

    private static void CheckHold(HoldView view, HoldMessage expected)
    {
        Require(view.Count == expected.Items.Count && view.Count <= Limits.MaxHoldItems, "HOLD view count");
        var i = 0;
        foreach (var item in view.Items)
        {
            Require(i < expected.Items.Count && item == expected.Items[i], $"HOLD view item {i}");
            Require(!item.Id.IsZero && item.Size > 0 && item.Held <= HashListMessage.ChunkCount(item.Size), $"HOLD view item {i} breaks a rule");
            i++;
        }

        Require(i == expected.Items.Count, $"HOLD view enumerates {i} of {expected.Items.Count} items");
    }

    private static void CheckChunkMap(ChunkMapView view, ChunkMapMessage expected, int payloadLength)
    {
        Require(view.ChunkCount == expected.ChunkCount && payloadLength == 4 + (2 * ChunkBitmap.ByteLength(view.ChunkCount)), "CHUNK_MAP view count");
        Require(view.Bitmap.SequenceEqual(expected.Bitmap), "CHUNK_MAP view bitmap");
        Require(view.Fetching.SequenceEqual(expected.Fetching), "CHUNK_MAP view fetching bitmap");
        for (var c = -1; c <= view.ChunkCount; c++)
        {
            Require(view.Has(c) == expected.Has(c), $"CHUNK_MAP view and record disagree on chunk {c}");
        }
    }

    private static void CheckHashList(HashListView view, HashListMessage expected, int payloadLength)
    {
        Require(view.ChunkSize == Limits.ChunkSize && view.ChunkSize == expected.ChunkSize, "HASH_LIST view chunk size");
        Require(view.Count == expected.Count && payloadLength == 8 + (view.Count * Limits.IdLength), "HASH_LIST view count");
        for (var i = 0; i < view.Count; i++)
        {
            Require(view.Digest(i).SequenceEqual(expected.Digest(i)), $"HASH_LIST view digest {i}");
        }

        var id = new ContentId(System.Security.Cryptography.SHA256.HashData(view.Digests));
        Require(view.Matches(id) && expected.Matches(id), "HASH_LIST view and record disagree on the id of their digests");
    }
}
