using System.Data.Common;
using Npgsql;

namespace LocationActors.Storage.Dialects;

/// <summary>PostgreSQL through Npgsql, on Kamailio's own PostgreSQL schema (<c>db_postgres</c>).</summary>
internal sealed class PostgresDialect : SqlDialect
{
    public static readonly PostgresDialect Instance = new();

    // An advisory lock for the schema scripts: server-wide, held by the session until released or closed.
    private const long SchemaLockKey = 0x4C41_5343; // "LASC"

    public override string SchemaFolder => "postgres";

    // A statement carries at most 65,535 parameters; 500 rows of 22 columns are 11,000.
    public override int MaxRowsPerStatement => 500;

    public override DbConnection CreateConnection(DatabaseUrl url, StorageOptions options)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = url.Host,
            Port = url.Port,
            Username = url.User ?? "",
            Password = url.Password ?? "",
            Database = url.Database,
            Timeout = (int)Math.Max(1, Math.Ceiling(options.ConnectTimeout.TotalSeconds)),
            CommandTimeout = (int)Math.Max(1, Math.Ceiling(options.CommandTimeout.TotalSeconds)),
            // At the command timeout the connection is broken at once. By default Npgsql first sends a cancel request
            // and waits 2 s for its answer, which a frozen server never gives (as MySqlConnector's KILL QUERY).
            CancellationTimeout = -1,
            // How the sessions show in pg_stat_activity.
            ApplicationName = "LocationActors",
        };
        if (options.MaxPoolSize is { } most)
            builder.MaxPoolSize = most;
        return new NpgsqlConnection(builder.ConnectionString);
    }

    public override string Quote(string name) => $"\"{name}\"";

    // INSERT … ON CONFLICT DO UPDATE: every column but the key from the row offered (EXCLUDED), and with renumbering a
    // fresh id from the column's sequence, as MariaDB's REPLACE (a delete and an insert) gives one.
    public override string Replace(string table, IReadOnlyList<string> columns, string valueRows, IReadOnlyList<string> key, bool renumbered)
    {
        var updates = columns.Where(c => !key.Contains(c)).Select(c => $"{Quote(c)} = EXCLUDED.{Quote(c)}");
        if (renumbered)
            updates = updates.Prepend("id = DEFAULT");
        return $"INSERT INTO {Quote(table)} ({string.Join(", ", columns.Select(Quote))}) VALUES {valueRows} " +
               $"ON CONFLICT ({string.Join(", ", key.Select(Quote))}) DO UPDATE SET {string.Join(", ", updates)}";
    }

    public override bool ReplacesOneRowPerKey => true;

    public override string SchemaLock => $"SELECT pg_advisory_lock({SchemaLockKey})";

    public override string SchemaUnlock => $"SELECT pg_advisory_unlock({SchemaLockKey})";

    // As MariaDB's digest: each row's columns joined with a separator no value holds, NULL spelled out, hashed to 32
    // bits (the first 8 hex digits of its MD5; PostgreSQL has no CRC32), then XOR and sum, so that rows changing in
    // pairs cannot cancel out in both. Text cannot hold NUL, so NULL is written as U+0001.
    public override string Digest(string table, IReadOnlyList<string> columns)
    {
        var text = $"concat_ws(chr(31), {string.Join(", ", columns.Select(c => $"coalesce({Quote(c)}::text, chr(1))"))})";
        var row = $"('x' || substr(md5({text}), 1, 8))::bit(32)::bigint";
        return $"SELECT COUNT(*), COALESCE(BIT_XOR({row}), 0) + COALESCE(SUM({row}), 0) * 4294967296 FROM {table}";
    }

    public override StorageErrorKind Classify(Exception exception)
    {
        if (exception is PostgresException e)
            return e.SqlState switch
            {
                "3D000" or "3F000" or "42P01" or "42703" or "42883" => StorageErrorKind.Schema, // database, schema, table, column, function
                "57014" or "40001" or "40P01" or "55P03" => StorageErrorKind.Timeout,           // cancelled, serialization, deadlock, lock
                ['0', '8', ..] or ['2', '8', ..] or ['5', '3', ..] or ['5', '7', ..] => StorageErrorKind.Connection, // connection, auth, resources, shutdown
                ['2', '2', ..] or ['2', '3', ..] => StorageErrorKind.InvalidData,               // data exception, integrity constraint
                _ => StorageErrorKind.Statement,
            };
        if (exception is NpgsqlException npgsql)
            return npgsql.InnerException switch
            {
                TimeoutException => StorageErrorKind.Timeout,
                _ => StorageErrorKind.Connection, // the driver's own failures: the socket, the protocol, the pool
            };
        return ClassifyCommon(exception) ?? StorageErrorKind.Statement;
    }
}
