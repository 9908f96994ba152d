using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// Fetches a file from the peers that hold it. Bytes go into <c>NAME.part</c> and are hashed as
/// they arrive; only a file whose id matches is renamed to <c>NAME</c> (or <c>NAME (1)</c>, ... when
/// <c>NAME</c> exists: nothing is overwritten). A failed or cancelled download removes its
/// <c>.part</c>, so what is left in the folder is complete and verified, or nothing.
/// </summary>
public sealed class Downloader
{
    private const int ReceiveBufferSize = 256 * 1024;

    private readonly string _folder;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, byte> _active = new(StringComparer.Ordinal);

    public Downloader(string downloadsFolder, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(downloadsFolder);
        _folder = Path.GetFullPath(downloadsFolder);
        _logger = logger;
    }

    public string Folder => _folder;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a source may send nothing before it is given up.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public async Task<DownloadResult> DownloadAsync(DownloadPlan plan, Transfer transfer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(transfer);
        FileName.EnsureValid(plan.Name);
        var target = Path.Combine(_folder, plan.Name.Replace('/', Path.DirectorySeparatorChar));
        var partPath = target + ShareIndex.PartialSuffix;
        if (!_active.TryAdd(partPath, 0))
        {
            throw new DownloadException($"\"{plan.Name}\" is already being downloaded into {_folder}");
        }

        try
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var failures = new List<string>();
            foreach (var source in plan.Sources)
            {
                var sourceName = HostPort.FormatEndPoint(source.Address, source.Port);
                transfer.Peer = sourceName;
                transfer.ResetBytes();
                try
                {
                    await FetchAsync(plan, source, partPath, transfer, cancellationToken).ConfigureAwait(false);
                    var path = Publish(partPath, target);
                    transfer.Complete(path);
                    _logger.LogInformation("download of {File} from {Source} finished: {Size} bytes verified, saved as {Path}", plan.Name, sourceName, plan.Size, path);
                    return new DownloadResult(path, (long)plan.Size, plan.Id, sourceName, transfer.Elapsed);
                }
                catch (SourceFailedException ex)
                {
                    failures.Add($"{sourceName}: {ex.Message}");
                    _logger.LogWarning("download of {File} from {Source} failed: {Reason}", plan.Name, sourceName, ex.Message);
                }
            }

            throw new DownloadException($"could not download \"{plan.Name}\" from any of {plan.Sources.Count} source(s): {string.Join("; ", failures)}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            transfer.Cancel("cancelled");
            throw;
        }
        catch (Exception ex) when (ex is DownloadException or IOException or UnauthorizedAccessException)
        {
            var reason = ex is IOException io && IsDiskFull(io) ? $"the disk is full: {io.Message}" : ex.Message;
            transfer.Fail(reason);
            throw ex is DownloadException ? ex : new DownloadException($"could not save \"{plan.Name}\": {reason}", ex);
        }
        finally
        {
            TryDelete(partPath);
            _active.TryRemove(partPath, out _);
        }
    }

    private static bool IsDiskFull(IOException exception) =>
        exception.HResult == 28 || exception.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);

    /// <summary>Moves the verified .part to the first free name among NAME, NAME (1), NAME (2), ...</summary>
    private static string Publish(string partPath, string target)
    {
        for (var attempt = 0; attempt < 10_000; attempt++)
        {
            var candidate = attempt == 0 ? target : $"{target} ({attempt})";
            if (File.Exists(candidate) || System.IO.Directory.Exists(candidate))
            {
                continue;
            }

            try
            {
                File.Move(partPath, candidate, overwrite: false);
                return candidate;
            }
            catch (IOException) when (File.Exists(candidate))
            {
                // Another process took this name between the check and the move; try the next.
            }
        }

        throw new IOException($"no free name for {target}");
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing more can be done; the name ends in .part, so it is never mistaken for a file.
        }
    }

    private async Task FetchAsync(DownloadPlan plan, IPEndPoint source, string partPath, Transfer transfer, CancellationToken cancellationToken)
    {
        Socket socket;
        try
        {
            socket = await HostPort.ConnectAsync([source.Address], source.Port, ConnectTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException)
        {
            throw new SourceFailedException(ex.Message);
        }

        using var connection = new FrameConnection(socket, Channel.Peer) { FrameTimeout = StallTimeout };
        try
        {
            await connection.SendAsync(new GetMessage(plan.Name, 0, 0, plan.Id), cancellationToken).ConfigureAwait(false);
            var reply = await connection.ReadMessageAsync(StallTimeout, cancellationToken).ConfigureAwait(false);
            switch (reply)
            {
                case ErrorMessage error:
                    throw new SourceFailedException($"refused: {error.Text}");
                case DataMessage data when data.Offset == 0 && data.Length == plan.Size:
                    break;
                case DataMessage data:
                    throw new SourceFailedException($"offered bytes {data.Offset}+{data.Length} instead of the whole {plan.Size}-byte file");
                case null:
                    throw new SourceFailedException("closed the connection without answering");
                default:
                    throw new SourceFailedException($"answered GET with {reply.Name}");
            }

            await ReceiveAsync(connection, plan, partPath, transfer, cancellationToken).ConfigureAwait(false);
        }
        catch (ProtocolException ex)
        {
            throw new SourceFailedException($"broke the protocol: {ex.Message}");
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException or EndOfStreamException)
        {
            throw new SourceFailedException(ex.Message);
        }
    }

    private static async Task ReceiveAsync(FrameConnection connection, DownloadPlan plan, string partPath, Transfer transfer, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
        try
        {
            using var hasher = new ContentIdBuilder();
            var part = new FileStream(partPath, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                Share = FileShare.None,
                Options = FileOptions.Asynchronous,
                BufferSize = 0,
                PreallocationSize = (long)plan.Size,
            });
            await using (part.ConfigureAwait(false))
            {
                var remaining = (long)plan.Size;
                while (remaining > 0)
                {
                    var want = (int)Math.Min(remaining, buffer.Length);
                    var read = await connection.ReadRawAsync(buffer.AsMemory(0, want), connection.FrameTimeout, cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw new SourceFailedException($"closed the connection after {(long)plan.Size - remaining} of {plan.Size} bytes");
                    }

                    hasher.Append(buffer.AsSpan(0, read));
                    await part.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    remaining -= read;
                    transfer.AddBytes(read);
                }

                var id = hasher.Finish();
                if (id != plan.Id)
                {
                    throw new SourceFailedException($"sent {plan.Size} bytes whose id is {id}, not {plan.Id}: the data is wrong");
                }

                part.Flush(flushToDisk: true);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>One source could not deliver; the download moves on to the next.</summary>
    private sealed class SourceFailedException(string message) : Exception(message);
}
