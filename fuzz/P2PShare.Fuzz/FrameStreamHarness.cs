using System.Buffers.Binary;
using System.Net.Sockets;
using P2PShare.Protocol;
using static P2PShare.Fuzz.ContractViolationException;

namespace P2PShare.Fuzz;

/// <summary>
/// Feeds a byte stream to a real <see cref="FrameConnection"/> over a connected pair of
/// Unix-domain stream sockets and reads it the way the servers do: frames until the end of the
/// stream, each payload through <see cref="DecoderContract"/>, and on a peer connection the raw
/// bytes after a DATA frame with <see cref="FrameConnection.ReadRawAsync"/>.
/// </summary>
/// <remarks>
/// Input: byte 0 chooses the channel (bit 0: 0 directory, 1 peer), how the stream is written
/// (bits 1-6: 0 all at once, otherwise pieces of that many bytes, each sent only once the reader
/// has taken the one before, so frames are split at the same points on every run) and how it is
/// read (bit 7: 0 <see cref="FrameConnection.ReadFrameAsync"/> as the directory and the
/// downloader's chunks do, 1 <see cref="FrameConnection.ReadMessageAsync"/> as the upload server
/// and the directory client do), and with that which receiver's <see cref="FrameLimits"/> the
/// reader applies (the directory server's, the downloader's, the upload server's, the directory
/// client's); the rest is the stream. Unix-domain sockets, not TCP: a million short connections leave no TIME_WAIT
/// behind, and the reading code is the same.
/// The reader must deliver every frame's bytes exactly as sent, stop with a
/// <see cref="ProtocolException"/> only where <see cref="FrameHeader.Parse(ReadOnlySpan{byte}, FrameLimits)"/> refuses the header
/// at that point, with <see cref="EndOfStreamException"/> only where the stream really ends
/// inside a frame, and report the end of the stream only after the last byte. A timeout is a
/// crash: the whole stream is always sent and then closed, so nothing should ever wait.
/// </remarks>
internal sealed class FrameStreamHarness : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    private readonly string _path;
    private readonly UnixDomainSocketEndPoint _endPoint;
    private readonly Socket _listener;
    private readonly byte[] _rawBuffer = new byte[8 * 1024];

    // What the reader of the current run accepts (set by Run: the constructor must not run
    // instrumented code, which only works once the fuzzer has set up its shared memory).
    private FrameLimits? _limits;

    public FrameStreamHarness()
    {
        _path = Path.Combine(Path.GetTempPath(), $"p2pshare-fuzz-{Environment.ProcessId}.sock");
        File.Delete(_path);
        _endPoint = new UnixDomainSocketEndPoint(_path);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(_endPoint);
        _listener.Listen(1);
    }

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        var channel = (input[0] & 1) == 0 ? Channel.Directory : Channel.Peer;
        var piece = (input[0] >> 1) & 0x3f;
        var readMessages = (input[0] & 0x80) != 0;
        var stream = input[1..].ToArray();

        using var sender = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        sender.Connect(_endPoint);
        var receiver = _listener.Accept();
        _limits = (channel, readMessages) switch
        {
            (Channel.Directory, false) => FrameLimits.DirectoryServer(Limits.MaxStringBytes),
            (Channel.Directory, true) => FrameLimits.DirectoryClient,
            (_, false) => FrameLimits.Downloader,
            _ => FrameLimits.UploadServer,
        };
        var connection = new FrameConnection(receiver, _limits) { FrameTimeout = Deadline };
        var reading = readMessages ? ReadMessagesAsync(connection, stream, channel) : ReadAllAsync(connection, stream, channel);
        Write(sender, receiver, stream, piece, reading);
        reading.GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        _listener.Dispose();
        File.Delete(_path);
    }

    /// <summary>Sends the stream (in lock step with the reader when <paramref name="piece"/> is not 0), then closes the sending side.</summary>
    private static void Write(Socket sender, Socket receiver, byte[] stream, int piece, Task reading)
    {
        try
        {
            if (piece == 0)
            {
                SendAll(sender, stream);
            }
            else
            {
                for (var offset = 0; offset < stream.Length && !reading.IsCompleted; offset += piece)
                {
                    SendAll(sender, stream.AsSpan(offset, Math.Min(piece, stream.Length - offset)));
                    while (receiver.Available > 0 && !reading.IsCompleted)
                    {
                        Thread.Yield();
                    }
                }
            }

            sender.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The reader stopped (a refused frame) and closed its end: nothing more to send.
        }
    }

    private static void SendAll(Socket socket, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            bytes = bytes[socket.Send(bytes)..];
        }
    }

    private async Task ReadAllAsync(FrameConnection connection, byte[] stream, Channel channel)
    {
        // Where the reader is in the stream, by this harness's own count.
        var position = 0;
        try
        {
            while (true)
            {
                var frame = await connection.ReadFrameAsync(Deadline).ConfigureAwait(false);
                if (frame.IsEndOfStream)
                {
                    Require(position == stream.Length, $"end of stream reported at byte {position} of {stream.Length}");
                    return;
                }

                Require(stream.Length - position >= Limits.FrameHeaderLength, $"a frame read from the {stream.Length - position} bytes left at {position}");
                var length = BinaryPrimitives.ReadUInt32BigEndian(stream.AsSpan(position + 1));
                Require((byte)frame.Type == stream[position], $"frame at {position} read as type {frame.Type}, sent as {stream[position]}");
                Require(length == (uint)frame.Payload.Length && (ulong)position + Limits.FrameHeaderLength + length <= (ulong)stream.Length, $"frame at {position} read with {frame.Payload.Length} payload bytes, sent with {length}");
                var payloadStart = position + Limits.FrameHeaderLength;
                Require(frame.Payload.Span.SequenceEqual(stream.AsSpan(payloadStart, (int)length)), $"payload of the frame at {position} read differently from how it was sent");
                position = payloadStart + (int)length;

                var message = DecoderContract.Check((byte)frame.Type, frame.Payload.Span, channel);
                if (message is null)
                {
                    // The server answers ERROR and closes here.
                    return;
                }

                if (message is DataMessage data && channel == Channel.Peer)
                {
                    position = await ReadRawAsync(connection, stream, position, data.Length).ConfigureAwait(false);
                }
            }
        }
        catch (ProtocolException refused)
        {
            CheckHeaderRefused(stream, position, refused);
        }
        catch (EndOfStreamException)
        {
            CheckEndsInsideFrame(stream, position);
        }
        finally
        {
            connection.Dispose();
        }
    }

    /// <summary>
    /// Reads whole messages: each must be what the codec makes of the frame's bytes in the stream,
    /// and a refusal must be the header's or the payload's, with the same code.
    /// </summary>
    private async Task ReadMessagesAsync(FrameConnection connection, byte[] stream, Channel channel)
    {
        var position = 0;
        try
        {
            while (true)
            {
                Message? message;
                try
                {
                    message = await connection.ReadMessageAsync(Deadline).ConfigureAwait(false);
                }
                catch (ProtocolException refused) when (HeaderAt(stream, position) is { } header && (ulong)position + Limits.FrameHeaderLength + header.PayloadLength <= (ulong)stream.Length)
                {
                    // A complete frame with a valid header: its payload was refused.
                    var payload = stream.AsSpan(position + Limits.FrameHeaderLength, (int)header.PayloadLength);
                    Require(DecoderContract.Check(header.Type, payload, channel) is null, $"the reader refused a frame at {position} that the codec accepts: {refused.Message}");
                    Require(CodecRefusal(header.Type, payload, channel) == refused.Message, $"the reader refused the frame at {position} with another reason: {refused.Message}");
                    return;
                }

                if (message is null)
                {
                    Require(position == stream.Length, $"end of stream reported at byte {position} of {stream.Length}");
                    return;
                }

                var sent = HeaderAt(stream, position);
                Require(sent is { } h && (ulong)position + Limits.FrameHeaderLength + h.PayloadLength <= (ulong)stream.Length, $"a message read from an incomplete frame at {position}");
                var length = (int)sent!.Value.PayloadLength;
                var expected = DecoderContract.Check(sent.Value.Type, stream.AsSpan(position + Limits.FrameHeaderLength, length), channel);
                Require(expected == message, $"the frame at {position} read as {message.Name}, which is not what its bytes decode to");
                position += Limits.FrameHeaderLength + length;
                if (message is DataMessage data && channel == Channel.Peer)
                {
                    position = await ReadRawAsync(connection, stream, position, data.Length).ConfigureAwait(false);
                }
            }
        }
        catch (ProtocolException refused)
        {
            CheckHeaderRefused(stream, position, refused);
        }
        catch (EndOfStreamException)
        {
            CheckEndsInsideFrame(stream, position);
        }
        finally
        {
            connection.Dispose();
        }
    }

    /// <summary>The header at <paramref name="position"/>, or null when there is none or the reader's limits refuse it.</summary>
    private FrameHeader? HeaderAt(byte[] stream, int position)
    {
        if (stream.Length - position < Limits.FrameHeaderLength)
        {
            return null;
        }

        try
        {
            return FrameHeader.Parse(stream.AsSpan(position, Limits.FrameHeaderLength), _limits!);
        }
        catch (ProtocolException)
        {
            return null;
        }
    }

    private static string? CodecRefusal(byte type, ReadOnlySpan<byte> payload, Channel channel)
    {
        try
        {
            MessageCodec.Validate(type, payload, channel);
            return null;
        }
        catch (ProtocolException refused)
        {
            return refused.Message;
        }
    }

    /// <summary>Reads the raw bytes after a DATA header as the downloader does; returns the new position.</summary>
    private async Task<int> ReadRawAsync(FrameConnection connection, byte[] stream, int position, ulong length)
    {
        var left = length;
        while (left > 0)
        {
            var want = (int)Math.Min(left, (ulong)_rawBuffer.Length);
            var read = await connection.ReadRawAsync(_rawBuffer.AsMemory(0, want), Deadline).ConfigureAwait(false);
            if (read == 0)
            {
                Require(position == stream.Length, $"raw bytes ended at {position} of {stream.Length}");
                return position;
            }

            Require(read <= want && _rawBuffer.AsSpan(0, read).SequenceEqual(stream.AsSpan(position, read)), $"raw bytes at {position} read differently from how they were sent");
            position += read;
            left -= (ulong)read;
        }

        return position;
    }

    private void CheckHeaderRefused(byte[] stream, int position, ProtocolException refused)
    {
        Require(stream.Length - position >= Limits.FrameHeaderLength, $"header refused with only {stream.Length - position} bytes left: {refused.Message}");
        try
        {
            FrameHeader.Parse(stream.AsSpan(position, Limits.FrameHeaderLength), _limits!);
        }
        catch (ProtocolException expected)
        {
            Require(expected.Code == refused.Code, $"header at {position} refused with {refused.Code}, FrameHeader.Parse says {expected.Code}");
            return;
        }

        throw new ContractViolationException($"the reader refused the header at {position}, which FrameHeader.Parse accepts: {refused.Message}");
    }

    private static void CheckEndsInsideFrame(byte[] stream, int position)
    {
        var left = stream.Length - position;
        Require(left > 0, $"end of stream inside a frame reported after the last byte ({position})");
        if (left >= Limits.FrameHeaderLength)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(stream.AsSpan(position + 1));
            Require((ulong)left < Limits.FrameHeaderLength + (ulong)length, $"end of stream inside a frame reported at {position}, but the frame is complete");
        }
    }
}
