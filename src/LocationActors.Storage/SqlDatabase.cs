using System.Data.Common;
using LocationActors.Storage.Dialects;
using LocationActors.Storage.Schema;

namespace LocationActors.Storage;

/// <summary>
/// One database handle: owns one connection to one database, opens it on first use, drops it after a connection
/// failure so the next call reconnects, and turns every driver failure into a <see cref="StorageException"/> that
/// names the database. Like p_usrloc's handles (and the actor that will own it) it runs one operation at a time.
/// </summary>
public abstract class SqlDatabase : IAsyncDisposable
{
    private DbConnection? _connection;
    private int _busy;

    private protected SqlDatabase(DatabaseUrl url, StorageOptions? options, string table)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (string.IsNullOrEmpty(table) || table.Length > 64 || !table.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            throw new StorageException(StorageErrorKind.InvalidUrl, url.ToString(), "open", $"'{table}' is not a table name");
        Url = url;
        Options = options ?? StorageOptions.Default;
        Table = table;
        Dialect = SqlDialect.For(url.Kind);
    }

    public DatabaseUrl Url { get; }

    /// <summary>The table this handle works on (<c>location</c>, <c>locdb</c>, or a configured name).</summary>
    public string Table { get; }

    public StorageOptions Options { get; }

    private protected SqlDialect Dialect { get; }

    /// <summary>The table name quoted for SQL (validated in the constructor, so quoting cannot be escaped).</summary>
    private protected string QuotedTable => Dialect.Quote(Table);

    private protected abstract SchemaScript Schema { get; }

    /// <summary>
    /// Creates the table (and Kamailio's <c>version</c> table) if missing; safe on a live database, and safe when
    /// several nodes start at once (the script runs under a lock: MariaDB's GET_LOCK, PostgreSQL's advisory lock,
    /// SQLite's write transaction).
    /// </summary>
    public Task CreateSchemaAsync(CancellationToken ct = default) => CreateSchemaAsync(Schema, Table, ct);

    private protected Task CreateSchemaAsync(SchemaScript script, string table, CancellationToken ct) =>
        RunAsync($"create {table} schema", async (connection, token) =>
        {
            await ExecuteAsync(connection, Dialect.SchemaLock, token);
            try
            {
                await ExecuteAsync(connection, script.Render(Dialect, table), token);
                await ExecuteAsync(connection, Dialect.SchemaUnlock, token);
            }
            catch
            {
                await ExecuteAsync(connection, Dialect.SchemaUnlockAfterFailure, CancellationToken.None);
                throw;
            }

            return 0;
        }, ct);

    private static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Succeeds only if the database answers and the table is usable: a reachable server with a missing or broken
    /// table is not a working member (p_usrloc's watcher only checked the connection, so such members flapped).
    /// </summary>
    public Task ProbeAsync(CancellationToken ct = default) =>
        RunAsync("probe", async (connection, token) =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT COUNT(*) FROM (SELECT 1 FROM {QuotedTable} LIMIT 1) AS probe";
            await command.ExecuteScalarAsync(token);
            return 0;
        }, ct);

    /// <summary>
    /// Runs one operation on this handle's connection, translating failures. A kept connection can have died
    /// meanwhile (the server's idle timeout, a restart): when it fails as a connection, an idempotent operation runs
    /// once more on a new one, as Kamailio's db_mysql reconnects, so a stale connection is not counted as a failure.
    /// </summary>
    private protected async Task<T> RunAsync<T>(string operation, Func<DbConnection, CancellationToken, Task<T>> body, CancellationToken ct,
        bool idempotent = true)
    {
        if (Interlocked.Exchange(ref _busy, 1) == 1)
            throw new InvalidOperationException($"{Url}: '{operation}' started while another operation runs; a handle runs one at a time");
        try
        {
            var reused = _connection is { State: System.Data.ConnectionState.Open };
            var connection = await OpenAsync(ct);
            try
            {
                return await body(connection, ct);
            }
            catch (Exception e) when (reused && idempotent && e is not (StorageException or OperationCanceledException)
                                      && Classify(e, connection) == StorageErrorKind.Connection)
            {
                await DropConnectionAsync();
                connection = await OpenAsync(ct);
                return await body(connection, ct);
            }
        }
        catch (OperationCanceledException)
        {
            await DropConnectionAsync(); // a cancelled command leaves the session in an unknown state
            throw;
        }
        catch (Exception e) when (e is not StorageException)
        {
            throw await TranslateAsync(operation, e);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Runs a read on a connection of its own, so a long scan never blocks the handle's writes.</summary>
    private protected async Task<T> RunDetachedAsync<T>(string operation, DbConnection connection, Func<DbConnection, CancellationToken, Task<T>> body,
        CancellationToken ct)
    {
        try
        {
            if (connection.State != System.Data.ConnectionState.Open)
            {
                await connection.OpenAsync(ct);
                await Dialect.PrepareAsync(connection, ct);
            }

            return await body(connection, ct);
        }
        catch (Exception e) when (e is not StorageException and not OperationCanceledException)
        {
            throw Failure(operation, e, connection);
        }
    }

    private protected DbConnection CreateDetachedConnection() => Dialect.CreateConnection(Url, Options);

    private async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        if (_connection is { State: System.Data.ConnectionState.Open })
            return _connection;
        await DropConnectionAsync();
        var connection = Dialect.CreateConnection(Url, Options);
        try
        {
            await connection.OpenAsync(ct);
            await Dialect.PrepareAsync(connection, ct);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        _connection = connection;
        return connection;
    }

    /// <summary>The driver's verdict; a misuse error on a connection that is no longer open means the connection broke.</summary>
    private protected StorageErrorKind Classify(Exception e, DbConnection? connection)
    {
        var kind = Dialect.Classify(e);
        return kind == StorageErrorKind.Statement && e is InvalidOperationException && connection?.State != System.Data.ConnectionState.Open
            ? StorageErrorKind.Connection
            : kind;
    }

    /// <summary>A <see cref="StorageException"/> for a driver failure, naming this database.</summary>
    private protected StorageException Failure(string operation, Exception e, DbConnection? connection) =>
        new(Classify(e, connection), Url.ToString(), operation, e.Message, e);

    private async Task<StorageException> TranslateAsync(string operation, Exception e)
    {
        var kind = Classify(e, _connection);
        if (kind is StorageErrorKind.Connection or StorageErrorKind.Timeout)
            await DropConnectionAsync();
        return new StorageException(kind, Url.ToString(), operation, e.Message, e);
    }

    private async Task DropConnectionAsync()
    {
        var connection = _connection;
        _connection = null;
        if (connection is null)
            return;
        try
        {
            await connection.DisposeAsync();
        }
        catch (Exception)
        {
            // Closing a broken connection may fail again; it is being thrown away either way.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DropConnectionAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>A command with its text and named parameters, in <paramref name="transaction"/> when given.</summary>
    private protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql,
        params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            Add(command, name, value);
        return command;
    }

    /// <summary>Adds one parameter per value (<c>@prefix0</c>, <c>@prefix1</c>, …); returns their names for an <c>IN (…)</c> list.</summary>
    private protected static string InList(DbCommand command, string prefix, IReadOnlyList<string> values)
    {
        var names = new System.Text.StringBuilder();
        for (var i = 0; i < values.Count; i++)
        {
            names.Append(i == 0 ? $"@{prefix}0" : $", @{prefix}{i}");
            Add(command, $"@{prefix}{i}", values[i]);
        }

        return names.ToString();
    }

    /// <summary>Adds a named parameter; null becomes DBNull.</summary>
    private protected static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }
}
