using System.Data.Common;
using LocationActors.Domain.Encoding;
using MySqlConnector;

namespace LocationActors.Storage.Dialects;

/// <summary>MariaDB and MySQL through MySqlConnector, the first-class backend (Kamailio's own).</summary>
internal sealed class MySqlDialect : SqlDialect
{
    public static readonly MySqlDialect Instance = new();

    public override string SchemaFolder => "mysql";

    // One round trip per 500 rows: the round trip, not the statement size, dominates on MariaDB.
    public override int MaxRowsPerStatement => 500;

    public override DbConnection CreateConnection(DatabaseUrl url, StorageOptions options)
    {
        var builder = new MySqlConnectionStringBuilder
        {
            Server = url.Host,
            Port = (uint)url.Port,
            UserID = url.User ?? "",
            Password = url.Password ?? "",
            Database = url.Database,
            ConnectionTimeout = (uint)Math.Max(1, Math.Ceiling(options.ConnectTimeout.TotalSeconds)),
            DefaultCommandTimeout = (uint)Math.Max(1, Math.Ceiling(options.CommandTimeout.TotalSeconds)),
            // At the command timeout the connection is closed at once. The driver's default first sends KILL QUERY on a
            // second connection and waits 2 s more for it, which a frozen server never answers (a freeze's first
            // failure came at 7 s with a 5 s timeout).
            CancellationTimeout = -1,
            // DATETIME columns hold wall-clock time in the configured zone; the codec interprets them, not the driver.
            DateTimeKind = MySqlDateTimeKind.Unspecified,
            ConvertZeroDateTime = true,
        };
        if (options.MaxPoolSize is { } most)
            builder.MaximumPoolSize = (uint)most;
        return new MySqlConnection(builder.ConnectionString);
    }

    // Server-wide named lock, released explicitly or when the session ends.
    public override string SchemaLock => "SELECT GET_LOCK('locationactors-schema', 30)";

    public override string SchemaUnlock => "DO RELEASE_LOCK('locationactors-schema')";

    // MariaDB cannot LIMIT a subquery on the table it deletes from, but takes LIMIT on DELETE itself.
    public override string DeleteLimited(string table, string where) => $"DELETE FROM {table} WHERE {where} LIMIT @limit";

    // Each row's columns joined with a separator no value holds, NULL spelled out (CONCAT_WS would skip it), through
    // CRC32; two aggregates of those, so that rows changing in pairs cannot cancel each other out in both.
    public override string Digest(string table, IReadOnlyList<string> columns)
    {
        var row = $"CRC32(CONCAT_WS(CHAR(31), {string.Join(", ", columns.Select(c => $"IFNULL({Quote(c)}, CHAR(0))"))}))";
        return $"SELECT COUNT(*), COALESCE(BIT_XOR({row}), 0) + COALESCE(SUM({row}), 0) * 4294967296 FROM {table}";
    }

    public override StorageErrorKind Classify(Exception exception)
    {
        if (exception is not MySqlException e)
            return ClassifyCommon(exception) ?? StorageErrorKind.Statement;
        if (e.ErrorCode == MySqlErrorCode.CommandTimeoutExpired)
            return StorageErrorKind.Timeout;
        return e.Number switch
        {
            1044 or 1045 or 1040 or 1042 or 1053 or 1152 or 1158 or 1159 or 1160 or 1161 or 2002 or 2003 or 2006 or 2013
                => StorageErrorKind.Connection,
            1049 or 1054 or 1146 => StorageErrorKind.Schema, // unknown database, column, table
            1048 or 1062 or 1264 or 1292 or 1366 or 1406 => StorageErrorKind.InvalidData,
            1205 or 1213 => StorageErrorKind.Timeout, // lock wait timeout, deadlock: a retry may pass
            _ when e.IsTransient => StorageErrorKind.Connection,
            < 1000 or >= 2000 => StorageErrorKind.Connection, // client-side errors: the session is unusable
            _ => StorageErrorKind.Statement,
        };
    }
}
