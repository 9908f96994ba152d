using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// One downloader's connection to this peer: reads GETs and HASHES (possibly pipelined) and
/// answers each in order. The GETs for one file on one connection (a swarm downloader asks
/// chunk by chunk) count as one upload in the transfers view, which ends when the connection
/// ends or moves on to another file. File bytes never pass through a buffer of ours: a file or a
/// range goes out from the handle that was opened and checked, in slices of at most
/// <see cref="SliceSize"/> (sendfile(2) on Linux, <see cref="SliceSender"/>), the DATA frame with
/// the first; a HASH_LIST goes out from the digests the share index holds, in slices too.
/// </summary>
/// <remarks>
/// The deadline is on progress, not on a whole answer: the downloader must take each slice within
/// <see cref="UploadServer.StallTimeout"/>, or the connection is closed and its slot freed, so a
/// downloader that stops reading holds a slot for that long at most, whatever the file's size.
/// </remarks>
internal sealed class UploadConnection : IDisposable
{
    /// <summary>
    /// Most bytes sent at once, each send with its own deadline: a downloader taking less than
    /// this in <see cref="UploadServer.StallTimeout"/> is making no useful progress. A chunk of a
    /// swarm download is one slice.
    /// </summary>
    internal const int SliceSize = Limits.ChunkSize;

    private readonly UploadServer _server;
    private readonly FrameConnection _connection;
    private readonly SliceSender _sliceSender = new();
    private readonly byte[] _dataFrame = new byte[FrameWriter.DataHeaderFrameLength];
    private readonly byte[] _hashListHeader = new byte[Limits.FrameHeaderLength + 8];
    private CancellationTokenSource? _sendDeadline;
    private Transfer? _transfer;

    // When the connection started waiting for its next request (Stopwatch ticks); 0 while it serves one.
    private long _idleSince = Stopwatch.GetTimestamp();

    public UploadConnection(UploadServer server, Socket socket)
    {
        _server = server;
        // A request must complete, and a small answer be taken, within the stall timeout too.
        _connection = new FrameConnection(socket, FrameLimits.UploadServer) { FrameTimeout = server.StallTimeout };
        PeerName = _connection.RemoteEndPoint is { } remote
            ? new IPEndPoint(MessageCodec.NormalizeAddress(remote.Address), remote.Port).ToString()
            : "unknown";
    }

    public string PeerName { get; }

    /// <summary>How long the connection has been waiting for its next request; zero while it serves one.</summary>
    public TimeSpan IdleFor
    {
        get
        {
            var since = Volatile.Read(ref _idleSince);
            return since == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(since);
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ServeRequestsAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            EndTransfer();
        }
    }

    private async Task ServeRequestsAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Message? message;
            Volatile.Write(ref _idleSince, Stopwatch.GetTimestamp());
            try
            {
                // While the server drains, a connection with nothing more to ask is not waited for.
                var idleTimeout = _server.Draining ? _server.DrainIdleTimeout : _server.IdleTimeout;
                message = await _connection.ReadMessageAsync(idleTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (ProtocolException ex)
            {
                _server.Logger.LogWarning("refused a request from {Peer}: {Reason}", PeerName, ex.Message);
                await _connection.SendErrorAndCloseAsync(ex.Code, ex.Message).ConfigureAwait(false);
                return;
            }
            catch (TimeoutException) when (_server.Draining)
            {
                return;
            }
            catch (TimeoutException ex)
            {
                await _connection.SendErrorAndCloseAsync(ErrorCode.BadRequest, ex.Message).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is EndOfStreamException or SocketException or OperationCanceledException or ObjectDisposedException)
            {

                return;
            }

            Volatile.Write(ref _idleSince, 0);
            switch (message)
            {
                case null:
                    return;
                case GetMessage get:
                    if (!await ServeAsync(get, cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }

                    break;
                case HashesMessage hashes:
                    if (!await ServeHashesAsync(hashes, cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }

                    break;
                case ChunksMessage chunks:
                    await _connection.SendAsync(ChunkMapOf(chunks.Id), cancellationToken).ConfigureAwait(false);
                    break;
                case PingMessage:
                    await _connection.SendAsync(PongMessage.Instance, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    await _connection.SendErrorAndCloseAsync(ErrorCode.BadRequest, $"unexpected {message.Name} on a peer connection: expected GET").ConfigureAwait(false);
                    return;
            }
        }
    }

    public void Abort() => _connection.Dispose();

    public void Dispose()
    {
        _connection.Dispose();
        _sendDeadline?.Dispose();
        _sliceSender.Dispose();
    }

    /// <summary>
    /// Answers one GET. A GET with an id is served from whatever this peer holds with that id: a
    /// shared file under any name, or the verified chunks of a download in progress; one without
    /// an id, from the shared file of that name. Returns false when the connection must close.
    /// </summary>
    private async Task<bool> ServeAsync(GetMessage get, CancellationToken cancellationToken)
    {
        SharedFile? file;
        if (get.Id.IsZero)
        {
            if (!_server.Folders.TryGet(get.FileName, out file))
            {
                await _connection.SendAsync(new ErrorMessage(ErrorCode.NotFound, $"no shared file named \"{FileName.Printable(get.FileName)}\""), cancellationToken).ConfigureAwait(false);
                return true;
            }
        }
        else if (!_server.Folders.TryGetById(get.Id, out file))
        {
            if (_server.Held is { } held && held.TryGet(get.Id, out var download))
            {
                return await ServeHeldAsync(get, download, cancellationToken).ConfigureAwait(false);
            }

            await _connection.SendAsync(new ErrorMessage(ErrorCode.NotFound, $"this peer holds nothing with id {get.Id}"), cancellationToken).ConfigureAwait(false);
            return true;
        }

        var size = (ulong)file.Size;
        if (!await CheckRangeAsync(get, size, cancellationToken).ConfigureAwait(false))
        {
            return true;
        }

        var offset = (long)get.Offset;
        var length = get.Length == 0 ? file.Size - offset : (long)get.Length;

        FileStream? stream = null;
        if (length > 0)
        {
            try
            {
                stream = _server.Folders.OpenForUpload(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await _connection.SendAsync(new ErrorMessage(ErrorCode.NotFound, ex.Message), cancellationToken).ConfigureAwait(false);
                return true;
            }
        }

        await using (stream)
        {
            return await SendDataAsync(file.Name, stream, offset, length, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Answers a GET for content this peer is downloading itself: served when every byte of the
    /// range lies in chunks it has verified and written, ERROR 2 otherwise.
    /// </summary>
    private async Task<bool> ServeHeldAsync(GetMessage get, HeldDownload download, CancellationToken cancellationToken)
    {
        if (!await CheckRangeAsync(get, download.Size, cancellationToken).ConfigureAwait(false))
        {
            return true;
        }

        var length = get.Length == 0 ? download.Size - get.Offset : get.Length;
        if (!download.Holds(get.Offset, length))
        {
            await _connection.SendAsync(new ErrorMessage(ErrorCode.NotFound, $"bytes {get.Offset}+{length} of {get.Id} are not here yet: {download.Stored.Count} of its {download.Stored.ChunkCount} chunks are (ask CHUNKS)"), cancellationToken).ConfigureAwait(false);
            return true;
        }

        var transfer = TransferFor(download.FileName, (long)length);
        try
        {
            await _connection.SendAsync(new DataMessage(get.Offset, length), cancellationToken).ConfigureAwait(false);
            await SendHeldRangeAsync(download, (long)get.Offset, (long)length, transfer, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            var reason = ex is OperationCanceledException ? "peer shutting down" : ex.Message;
            transfer.Fail(reason);
            _server.Logger.LogWarning("upload of {File} to {Peer} failed after {Bytes} bytes: {Reason}", download.FileName, PeerName, transfer.BytesDone, reason);
            return false;
        }
    }

    /// <summary>
    /// Sends a range of a download in progress (its DATA frame is sent already) in slices read
    /// into a pooled buffer, at the pace of the shared upload limit when there is one.
    /// </summary>
    private async Task SendHeldRangeAsync(HeldDownload download, long offset, long length, Transfer transfer, CancellationToken cancellationToken)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Min(length, SliceSize));
        try
        {
            var position = offset;
            var remaining = length;
            while (remaining > 0)
            {
                var slice = (int)Math.Min(remaining, SliceSize);
                if (_server.Limit is { } limit)
                {
                    slice = (int)Math.Min(slice, limit.MaxGrant);
                    await limit.TakeAsync(slice, cancellationToken).ConfigureAwait(false);
                }

                var read = await RandomAccess.ReadAsync(download.Reader, buffer.AsMemory(0, slice), position, cancellationToken).ConfigureAwait(false);
                if (read != slice)
                {
                    throw new IOException($"{download.FileName} ended before byte {position + slice}");
                }

                await SendSliceAsync(ReadOnlyMemory<byte>.Empty, null, 0, buffer.AsMemory(0, slice), cancellationToken).ConfigureAwait(false);
                position += slice;
                remaining -= slice;
                transfer.AddBytes(slice);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>ERROR 1 for a range outside a file of <paramref name="size"/> bytes; true when the range is inside.</summary>
    private async Task<bool> CheckRangeAsync(GetMessage get, ulong size, CancellationToken cancellationToken)
    {
        if (get.Offset > size || (get.Length != 0 && get.Length > size - get.Offset))
        {
            await _connection.SendAsync(new ErrorMessage(ErrorCode.BadRequest, $"range {get.Offset}+{get.Length} is outside \"{FileName.Printable(get.FileName)}\" ({size} bytes)"), cancellationToken).ConfigureAwait(false);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Sends DATA for <paramref name="length"/> bytes of <paramref name="stream"/> from
    /// <paramref name="offset"/> (null when the range is empty), as part of the upload of
    /// <paramref name="fileName"/>. Returns false when the connection must close.
    /// </summary>
    private async Task<bool> SendDataAsync(string fileName, FileStream? stream, long offset, long length, CancellationToken cancellationToken)
    {
        var transfer = TransferFor(fileName, length);
        try
        {
            var header = new DataMessage((ulong)offset, (ulong)length);
            if (stream is null)
            {
                await _connection.SendAsync(header, cancellationToken).ConfigureAwait(false);
            }
            else if (_server.Limit is { } limit)
            {
                await _connection.SendAsync(header, cancellationToken).ConfigureAwait(false);
                await SendRangeLimitedAsync(stream, offset, length, limit, transfer, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await SendRangeAsync(stream, header, transfer, cancellationToken).ConfigureAwait(false);
            }

            _server.Logger.LogDebug("sent {File} bytes {Offset}+{Length} to {Peer}", fileName, offset, length, PeerName);
            return true;
        }
        catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            var reason = ex is OperationCanceledException ? "peer shutting down" : ex.Message;
            transfer.Fail(reason);
            _server.Logger.LogWarning("upload of {File} to {Peer} failed after {Bytes} bytes: {Reason}", fileName, PeerName, transfer.BytesDone, reason);
            return false;
        }
    }

    /// <summary>The upload this GET belongs to: the connection's current one when it is for the same file, else a new one.</summary>
    private Transfer TransferFor(string fileName, long length)
    {
        if (_transfer is { IsFinished: false } current && current.FileName == fileName)
        {
            current.TotalBytes += length;
            return current;
        }

        EndTransfer();
        _transfer = _server.Transfers.Start(TransferDirection.Upload, PeerName, fileName, length);
        _server.Logger.LogInformation("upload of {File} to {Peer} started", fileName, PeerName);
        return _transfer;
    }

    private void EndTransfer()
    {
        if (_transfer is { IsFinished: false } previous)
        {
            previous.Complete();
            _server.Logger.LogInformation("upload of {File} to {Peer} finished: {Bytes} bytes in {Seconds:0.00} s", previous.FileName, PeerName, previous.BytesDone, previous.Elapsed.TotalSeconds);
        }
    }

    /// <summary>
    /// Answers HASHES with the file's HASH_LIST, sent from the digests the share index holds (a
    /// 37-byte request never makes this peer build and hold a copy of a list of up to 16 MiB),
    /// in slices under the progress deadline. Returns false when the connection must close.
    /// </summary>
    private async Task<bool> ServeHashesAsync(HashesMessage request, CancellationToken cancellationToken)
    {
        string fileName;
        byte[] digests;
        if (_server.Folders.TryGetById(request.Id, out var file))
        {
            (fileName, digests) = (file.Name, file.ChunkDigests);
        }
        else if (_server.Held is { } held && held.TryGet(request.Id, out var download))
        {
            (fileName, digests) = (download.FileName, download.ChunkDigests);
        }
        else
        {
            await _connection.SendAsync(new ErrorMessage(ErrorCode.NotFound, $"no shared file has id {request.Id}"), cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (digests.Length > Limits.MaxControlPayload - 8)
        {
            // Over 524,287 MiB the list does not fit in one frame; such a file is served by plain GETs only.
            await _connection.SendAsync(new ErrorMessage(ErrorCode.TooLarge, $"\"{FileName.Printable(fileName)}\" has too many chunks for a HASH_LIST; fetch it with GET"), cancellationToken).ConfigureAwait(false);
            return true;
        }

        new FrameHeader((byte)MessageType.HashList, (uint)(8 + digests.Length)).Write(_hashListHeader);
        BinaryPrimitives.WriteUInt32BigEndian(_hashListHeader.AsSpan(Limits.FrameHeaderLength), Limits.ChunkSize);
        BinaryPrimitives.WriteUInt32BigEndian(_hashListHeader.AsSpan(Limits.FrameHeaderLength + 4), (uint)(digests.Length / Limits.IdLength));
        ReadOnlyMemory<byte> prefix = _hashListHeader;
        try
        {
            if (digests.Length == 0)
            {
                await SendSliceAsync(prefix, null, 0, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            }

            for (var offset = 0; offset < digests.Length; offset += SliceSize)
            {
                var slice = digests.AsMemory(offset, Math.Min(SliceSize, digests.Length - offset));
                await SendSliceAsync(prefix, null, 0, slice, cancellationToken).ConfigureAwait(false);
                prefix = ReadOnlyMemory<byte>.Empty;
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            _server.Logger.LogWarning("hash list of {File} to {Peer} failed: {Reason}", fileName, PeerName, ex is OperationCanceledException ? "peer shutting down" : ex.Message);
            return false;
        }
    }

    /// <summary>
    /// The answer to CHUNKS: every chunk of a shared file with that id, the chunks verified and
    /// written of a download in progress (and those it is fetching), or ERROR 2 when this peer
    /// holds nothing of it.
    /// </summary>
    private Message ChunkMapOf(ContentId id)
    {
        if (_server.Folders.TryGetById(id, out var file))
        {
            return ChunkMapMessage.All((int)HashListMessage.ChunkCount((ulong)file.Size));
        }

        if (_server.Held is { } held && held.TryGet(id, out var download))
        {
            var length = ChunkBitmap.ByteLength(download.Stored.ChunkCount);
            var bitmap = new byte[length];
            var fetching = new byte[length];
            download.InFlight?.WriteInFlight(fetching);
            download.Stored.WriteBitmap(bitmap);
            return new ChunkMapMessage(download.Stored.ChunkCount, bitmap, fetching);
        }

        return new ErrorMessage(ErrorCode.NotFound, $"this peer holds nothing with id {id}");
    }

    /// <summary>Sends the DATA frame and the range it announces in slices, the frame with the first.</summary>
    private async Task SendRangeAsync(FileStream stream, DataMessage header, Transfer transfer, CancellationToken cancellationToken)
    {
        var frameLength = FrameWriter.WriteDataHeader(_dataFrame, header.Offset, header.Length);
        ReadOnlyMemory<byte> prefix = _dataFrame.AsMemory(0, frameLength);
        var position = (long)header.Offset;
        var remaining = (long)header.Length;
        while (remaining > 0)
        {
            var slice = (int)Math.Min(remaining, SliceSize);
            await SendSliceAsync(prefix, stream, position, ReadOnlyMemory<byte>.Empty, slice, cancellationToken).ConfigureAwait(false);
            prefix = ReadOnlyMemory<byte>.Empty;
            position += slice;
            remaining -= slice;
            transfer.AddBytes(slice);
        }
    }

    /// <summary>Sends a range (its DATA frame is sent already) in slices at the pace of the shared upload limit.</summary>
    private async Task SendRangeLimitedAsync(FileStream stream, long offset, long length, TokenBucket limit, Transfer transfer, CancellationToken cancellationToken)
    {
        var position = offset;
        var remaining = length;
        while (remaining > 0)
        {
            var slice = (int)Math.Min(remaining, Math.Min(limit.MaxGrant, SliceSize));
            await limit.TakeAsync(slice, cancellationToken).ConfigureAwait(false);
            await SendSliceAsync(ReadOnlyMemory<byte>.Empty, stream, position, ReadOnlyMemory<byte>.Empty, slice, cancellationToken).ConfigureAwait(false);
            position += slice;
            remaining -= slice;
            transfer.AddBytes(slice);
        }
    }

    private Task SendSliceAsync(ReadOnlyMemory<byte> prefix, FileStream? file, long offset, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        SendSliceAsync(prefix, file, offset, bytes, bytes.Length, cancellationToken);

    /// <summary>
    /// One send of <paramref name="prefix"/> and a slice (<paramref name="count"/> bytes of
    /// <paramref name="file"/> from <paramref name="offset"/>, or <paramref name="bytes"/>), within
    /// the stall timeout. A send that misses it closes the connection: the downloader is gone or
    /// not reading.
    /// </summary>
    private async Task SendSliceAsync(ReadOnlyMemory<byte> prefix, FileStream? file, long offset, ReadOnlyMemory<byte> bytes, int count, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_sendDeadline is null)
        {
            // One deadline for the connection's life, re-armed for every send: when it fires (or
            // the server stops) the socket is closed, which ends the send under way.
            _sendDeadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _sendDeadline.Token.UnsafeRegister(static state => ((UploadConnection)state!).Abort(), this);
        }

        _sendDeadline.CancelAfter(_server.StallTimeout);
        try
        {
            if (file is not null)
            {
                await _sliceSender.SendAsync(_connection.Socket, prefix, file, offset, count).ConfigureAwait(false);
            }
            else if (bytes.IsEmpty)
            {
                await _sliceSender.SendAsync(_connection.Socket, ReadOnlyMemory<byte>.Empty, prefix).ConfigureAwait(false);
            }
            else
            {
                await _sliceSender.SendAsync(_connection.Socket, prefix, bytes).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException && _sendDeadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the downloader did not take {prefix.Length + count} bytes within {_server.StallTimeout.TotalSeconds:0.#} s", ex);
        }

        _sendDeadline.CancelAfter(Timeout.InfiniteTimeSpan);
    }
}
