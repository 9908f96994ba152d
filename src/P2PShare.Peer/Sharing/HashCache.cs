using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Protocol;

namespace P2PShare.Peer;

/// <summary>
/// Content ids and chunk digests of files hashed before, kept in an SQLite database
/// (<see cref="DatabaseFileName"/>) in the peer's state folder and keyed by full path, size and
/// modification time, so that a restart re-hashes only the files that changed.
/// </summary>
/// <remarks>
/// <para>
/// Several peers on one machine may share one state folder: the database is in WAL mode and
/// waits for another process's lock instead of failing. The cache is only ever an
/// optimisation, so it never throws: a database that cannot be opened is reported with a
/// warning and the peer goes on without it; a corrupt one is replaced by a new, empty one.
/// Rows are checked when read (the id must be the SHA-256 of the digests, and the digests must
/// fit the size), so a damaged row is a miss, never a wrong id.
/// </para>
/// <para>Thread-safe; every call takes a lock, so it belongs in scans, not on the upload path.</para>
/// </remarks>
public sealed class HashCache : IDisposable
{
    public const string DatabaseFileName = "hashes.db";

    private const int SchemaVersion = 1;
    private const int BusyTimeoutSeconds = 10;

    // SQLite result codes (the primary code is the low byte of an extended code).
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteCorrupt = 11;
    private const int SqliteNotADatabase = 26;

    private readonly Lock _lock = new();
    private readonly ILogger _logger;
    private SqliteConnection? _connection;
    private bool _replacedCorruptDatabase;
    private bool _disposed;

    private HashCache(string databasePath, ILogger logger)
    {
        DatabasePath = databasePath;
        _logger = logger;
    }

    /// <summary>Where the database is (or would be).</summary>
    public string DatabasePath { get; }

    /// <summary>False when the database could not be opened (or broke): lookups then miss and stores do nothing.</summary>
    public bool IsAvailable
    {
        get
        {
            lock (_lock)
            {
                return _connection is not null;
            }
        }
    }

    /// <summary>
    /// Opens (or creates) the cache in <paramref name="stateFolder"/>, creating the folder when
    /// needed. Never fails: problems are logged and give a cache that is not
    /// <see cref="IsAvailable"/>.
    /// </summary>
    public static HashCache Open(string stateFolder, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateFolder);
        var cache = new HashCache(Path.Combine(Path.GetFullPath(stateFolder), DatabaseFileName), logger ?? NullLogger.Instance);
        lock (cache._lock)
        {
            cache.OpenDatabase();
        }

        return cache;
    }

    /// <summary>The id and chunk digests stored for this path, when its size and modification time are still the ones hashed.</summary>
    public (ContentId Id, byte[] ChunkDigests)? Lookup(string fullPath, long size, long modifiedTicks)
    {
        ArgumentNullException.ThrowIfNull(fullPath);
        byte[] id;
        byte[] digests;
        lock (_lock)
        {
            if (_connection is null)
            {
                return null;
            }

            try
            {
                using var command = _connection.CreateCommand();
                command.CommandText = "SELECT id, digests FROM files WHERE path = $path AND size = $size AND mtime = $mtime";
                command.Parameters.AddWithValue("$path", fullPath);
                command.Parameters.AddWithValue("$size", size);
                command.Parameters.AddWithValue("$mtime", modifiedTicks);
                using var reader = command.ExecuteReader();
                if (!reader.Read() || reader.IsDBNull(0) || reader.IsDBNull(1))
                {
                    return null;
                }

                id = (byte[])reader.GetValue(0);
                digests = (byte[])reader.GetValue(1);
            }
            catch (SqliteException ex)
            {
                Failed(ex, "read");
                return null;
            }
            catch (InvalidCastException)
            {
                // Not blobs: a row this code did not write; a miss, which the next store replaces.
                return null;
            }
        }

        return IsConsistent(size, id, digests) ? (new ContentId(id), digests) : null;
    }

    /// <summary>Remembers what a file hashed to (replacing what was stored for its path).</summary>
    public void Store(string fullPath, long size, long modifiedTicks, ContentId id, byte[] chunkDigests)
    {
        ArgumentNullException.ThrowIfNull(fullPath);
        ArgumentNullException.ThrowIfNull(chunkDigests);
        lock (_lock)
        {
            if (_connection is null)
            {
                return;
            }

            try
            {
                using var command = _connection.CreateCommand();
                command.CommandText = "INSERT OR REPLACE INTO files (path, size, mtime, id, digests) VALUES ($path, $size, $mtime, $id, $digests)";
                command.Parameters.AddWithValue("$path", fullPath);
                command.Parameters.AddWithValue("$size", size);
                command.Parameters.AddWithValue("$mtime", modifiedTicks);
                command.Parameters.AddWithValue("$id", id.ToArray());
                command.Parameters.AddWithValue("$digests", chunkDigests);
                command.ExecuteNonQuery();
            }
            catch (SqliteException ex)
            {
                Failed(ex, "write");
            }
        }
    }

    /// <summary>
    /// Deletes the rows of files under <paramref name="root"/> (a full path) whose paths are not
    /// in <paramref name="present"/>; returns how many went.
    /// </summary>
    public int RemoveMissing(string root, IReadOnlySet<string> present)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentNullException.ThrowIfNull(present);
        var prefix = Path.TrimEndingDirectorySeparator(root) + "/";
        lock (_lock)
        {
            if (_connection is null)
            {
                return 0;
            }

            try
            {
                var missing = new List<string>();
                using (var select = _connection.CreateCommand())
                {
                    // Every path that starts with "root/" sorts between "root/" and "root0" ('0' follows '/').
                    select.CommandText = "SELECT path FROM files WHERE path >= $low AND path < $high";
                    select.Parameters.AddWithValue("$low", prefix);
                    select.Parameters.AddWithValue("$high", prefix[..^1] + "0");
                    using var reader = select.ExecuteReader();
                    while (reader.Read())
                    {
                        var path = reader.GetString(0);
                        if (path.StartsWith(prefix, StringComparison.Ordinal) && !present.Contains(path))
                        {
                            missing.Add(path);
                        }
                    }
                }

                if (missing.Count == 0)
                {
                    return 0;
                }

                using var transaction = _connection.BeginTransaction();
                using var delete = _connection.CreateCommand();
                delete.Transaction = transaction;
                delete.CommandText = "DELETE FROM files WHERE path = $path";
                var parameter = delete.Parameters.Add("$path", SqliteType.Text);
                foreach (var path in missing)
                {
                    parameter.Value = path;
                    delete.ExecuteNonQuery();
                }

                transaction.Commit();
                return missing.Count;
            }
            catch (SqliteException ex)
            {
                Failed(ex, "clean up");
                return 0;
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            CloseDatabase();
        }
    }

    /// <summary>True when <paramref name="id"/> is what <paramref name="digests"/> hash to and they fit a file of <paramref name="size"/> bytes.</summary>
    private static bool IsConsistent(long size, byte[] id, byte[] digests)
    {
        if (size < 0 || id.Length != Limits.IdLength)
        {
            return false;
        }

        var chunks = (size + Limits.ChunkSize - 1) / Limits.ChunkSize;
        if (digests.LongLength != chunks * Limits.IdLength)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[Limits.IdLength];
        SHA256.HashData(digests, expected);
        return expected.SequenceEqual(id);
    }

    private static bool IsCorruption(SqliteException ex) => (ex.SqliteErrorCode & 0xFF) is SqliteCorrupt or SqliteNotADatabase;

    private static bool IsBusy(SqliteException ex) => (ex.SqliteErrorCode & 0xFF) is SqliteBusy or SqliteLocked;

    /// <summary>Opens the database, replacing it once when it is corrupt; leaves <see cref="_connection"/> null when it cannot.</summary>
    private void OpenDatabase()
    {
        try
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
            _connection = Connect();
        }
        catch (SqliteException ex) when (IsCorruption(ex))
        {
            ReplaceCorruptDatabase(ex);
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("hash cache {Path} cannot be used ({Reason}); going on without it, so every shared file is hashed", DatabasePath, ex.Message);
            CloseDatabase();
        }
    }

    private SqliteConnection Connect()
    {
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = BusyTimeoutSeconds,
        }.ToString();
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            Execute(connection, $"PRAGMA busy_timeout = {BusyTimeoutSeconds * 1000}");
            Execute(connection, "PRAGMA journal_mode = WAL");
            Execute(connection, "PRAGMA synchronous = NORMAL");
            using (var version = connection.CreateCommand())
            {
                version.CommandText = "PRAGMA user_version";
                var found = Convert.ToInt64(version.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
                if (found > SchemaVersion)
                {
                    throw new IOException($"it was written by a newer p2pshare (schema {found}, this one knows {SchemaVersion})");
                }
            }

            Execute(connection, "CREATE TABLE IF NOT EXISTS files (path TEXT NOT NULL PRIMARY KEY, size INTEGER NOT NULL, mtime INTEGER NOT NULL, id BLOB NOT NULL, digests BLOB NOT NULL) WITHOUT ROWID");
            Execute(connection, $"PRAGMA user_version = {SchemaVersion}");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Reacts to an error of a read or write: skips the entry when another process holds the lock too long, replaces a corrupt database once, else gives the cache up.</summary>
    private void Failed(SqliteException ex, string what)
    {
        if (IsBusy(ex))
        {
            // Another peer held the lock for longer than the busy timeout: skip this one entry.
            _logger.LogDebug("hash cache {Path} busy; could not {What} an entry: {Reason}", DatabasePath, what, ex.Message);
            return;
        }

        if (IsCorruption(ex) && !_replacedCorruptDatabase)
        {
            ReplaceCorruptDatabase(ex);
            return;
        }

        _logger.LogWarning("hash cache {Path} failed to {What} ({Reason}); going on without it", DatabasePath, what, ex.Message);
        CloseDatabase();
    }

    private void ReplaceCorruptDatabase(SqliteException ex)
    {
        _replacedCorruptDatabase = true;
        CloseDatabase();
        if (_disposed)
        {
            return;
        }

        _logger.LogWarning("hash cache {Path} is corrupt ({Reason}); starting a new one", DatabasePath, ex.Message);
        try
        {
            foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
            {
                File.Delete(DatabasePath + suffix);
            }

            _connection = Connect();
        }
        catch (Exception again) when (again is SqliteException or IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("hash cache {Path} cannot be recreated ({Reason}); going on without it, so every shared file is hashed", DatabasePath, again.Message);
            CloseDatabase();
        }
    }

    private void CloseDatabase()
    {
        _connection?.Dispose();
        _connection = null;
    }
}
