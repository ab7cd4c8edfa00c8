using System.Data.Common;
using LocationActors.Domain.Encoding;

namespace LocationActors.Storage.Dialects;

/// <summary>
/// What differs between MariaDB/MySQL, PostgreSQL and SQLite for the few statements the storage layer runs: quoting,
/// REPLACE (which PostgreSQL spells as an upsert), times, limits and locks. Everything else — named parameters, the
/// SELECTs and DELETEs — the three engines accept alike, so the SQL is written once.
/// </summary>
internal abstract class SqlDialect
{
    public static SqlDialect For(DatabaseKind kind) => kind switch
    {
        DatabaseKind.MySql => MySqlDialect.Instance,
        DatabaseKind.Postgres => PostgresDialect.Instance,
        DatabaseKind.Sqlite => SqliteDialect.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Folder of this dialect's scripts under <c>sql/</c>.</summary>
    public abstract string SchemaFolder { get; }

    public abstract DbConnection CreateConnection(DatabaseUrl url, StorageOptions options);

    /// <summary>The most rows one multi-row statement should carry on this engine.</summary>
    public abstract int MaxRowsPerStatement { get; }

    /// <summary>A table or column name quoted for SQL (the names are validated or constant: nothing to escape).</summary>
    public virtual string Quote(string name) => $"`{name}`";

    /// <summary>
    /// p_usrloc's <c>REPLACE INTO</c>: each row of <paramref name="valueRows"/> (<c>(@a, @b), (…)</c>) inserted, or
    /// replacing the row with the same <paramref name="key"/>. With <paramref name="renumbered"/> a replaced row takes a
    /// new <c>id</c> as MariaDB's REPLACE gives it (delete and insert), so row order stays "least recently written
    /// first" on every engine and a scan by id sees a row replaced behind it again.
    /// </summary>
    public virtual string Replace(string table, IReadOnlyList<string> columns, string valueRows, IReadOnlyList<string> key, bool renumbered) =>
        $"REPLACE INTO {Quote(table)} ({string.Join(", ", columns.Select(Quote))}) VALUES {valueRows}";

    /// <summary>Whether one <see cref="Replace"/> statement may carry a key only once (PostgreSQL's upsert refuses a second).</summary>
    public virtual bool ReplacesOneRowPerKey => false;

    /// <summary>Per-connection settings run right after opening.</summary>
    public virtual Task PrepareAsync(DbConnection connection, CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// The parameter value for a DATETIME column: by default wall-clock time in the configured zone (MariaDB's DATETIME,
    /// PostgreSQL's TIMESTAMP WITHOUT TIME ZONE, as Kamailio's drivers write them), an Unspecified DateTime.
    /// </summary>
    public virtual object TimeValue(long unixSeconds, DbTimeCodec times) => times.ToDb(unixSeconds);

    public virtual long ReadTime(DbDataReader reader, int ordinal, DbTimeCodec times) => times.FromDb(reader.GetDateTime(ordinal));

    /// <summary>
    /// A SELECT of two numbers that stand for the whole content of <paramref name="table"/>'s <paramref name="columns"/>,
    /// computed by the server without sending a row (count and a checksum); null when the engine has no checksum function.
    /// </summary>
    public virtual string? Digest(string table, IReadOnlyList<string> columns) => null;

    /// <summary>DELETE of at most <c>@limit</c> rows matching <paramref name="where"/>, by default through the ids of a limited SELECT.</summary>
    public virtual string DeleteLimited(string table, string where) =>
        $"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {where} LIMIT @limit)";

    /// <summary>Row locking for a read inside a serializable transaction (<c>FOR UPDATE</c>; SQLite locks the file).</summary>
    public virtual string ForUpdate => " FOR UPDATE";

    /// <summary>Runs before a schema script so concurrent starts do not race; paired with <see cref="SchemaUnlock"/>.</summary>
    public abstract string SchemaLock { get; }

    public abstract string SchemaUnlock { get; }

    public virtual string SchemaUnlockAfterFailure => SchemaUnlock;

    /// <summary>Maps a driver exception onto the kinds callers act on.</summary>
    public abstract StorageErrorKind Classify(Exception exception);

    /// <summary>Failures every driver shares: broken sockets, timeouts, use of a closed connection.</summary>
    protected static StorageErrorKind? ClassifyCommon(Exception exception) => exception switch
    {
        TimeoutException => StorageErrorKind.Timeout,
        IOException or System.Net.Sockets.SocketException or EndOfStreamException => StorageErrorKind.Connection,
        _ => null,
    };
}
