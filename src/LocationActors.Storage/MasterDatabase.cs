using System.Data.Common;
using System.Globalization;
using LocationActors.Domain.LocDb;
using LocationActors.Storage.Schema;

namespace LocationActors.Storage;

/// <summary>
/// The handle of the master database: p_usrloc's <c>locdb</c> table, the layout of the location groups and the
/// state of every member database. The writes are p_usrloc's own (spec §3), so Kamailio nodes on the same
/// <c>locdb</c> see the same states.
/// </summary>
public sealed class MasterDatabase : SqlDatabase
{
    public const string DefaultTable = "locdb";

    /// <summary>The <c>url</c> column's size; p_usrloc itself refuses URLs of 259 characters or more.</summary>
    public const int MaxUrlLength = 255;

    private static readonly string[] Columns = ["id", "no", "url", "status", "errors", "failover", "spare", "rg"];

    private static readonly string ColumnList = string.Join(", ", Columns); // no name any engine reserves

    public MasterDatabase(DatabaseUrl url, StorageOptions? options = null, string table = DefaultTable)
        : base(url, options, table)
    {
    }

    private protected override SchemaScript Schema => SchemaScript.Master;

    /// <summary>Every row, ordered by group id and member number.</summary>
    public Task<IReadOnlyList<LocDbRow>> ReadAllAsync(CancellationToken ct = default) =>
        RunAsync<IReadOnlyList<LocDbRow>>($"read {Table}", async (connection, token) =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {ColumnList} FROM {QuotedTable} ORDER BY id, no";
            return await ReadRowsAsync(command, token);
        }, ct);

    /// <summary>The rows of one group ordered by <c>no</c>, as p_usrloc's <c>load_data</c> reads them.</summary>
    public Task<IReadOnlyList<LocDbRow>> ReadGroupAsync(int id, CancellationToken ct = default) =>
        RunAsync<IReadOnlyList<LocDbRow>>($"read group {id} from {Table}", async (connection, token) =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {ColumnList} FROM {QuotedTable} WHERE id = @id ORDER BY no";
            Add(command, "@id", id);
            return await ReadRowsAsync(command, token);
        }, ct);

    /// <summary>N exactly as p_usrloc computes it: <c>MAX(id) WHERE status = 1</c>; null when no row is active.</summary>
    public Task<int?> ReadGroupCountAsync(CancellationToken ct = default) =>
        RunAsync($"count groups in {Table}", async (connection, token) =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT MAX(id) FROM {QuotedTable} WHERE status = 1";
            var value = await command.ExecuteScalarAsync(token);
            return value is null or DBNull ? (int?)null : Convert.ToInt32(value, CultureInfo.InvariantCulture);
        }, ct);

    /// <summary>Inserts or replaces a row (provisioning, spares). The URL must parse and fit the column.</summary>
    public Task UpsertRowAsync(LocDbRow row, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(row);
        var operation = $"write {Table} row ({row.Id},{row.No})";
        if (row.Url.Length > MaxUrlLength)
            throw new StorageException(StorageErrorKind.InvalidData, Url.ToString(), operation,
                $"the url has {row.Url.Length} characters, the column holds {MaxUrlLength}");
        if (!DatabaseUrl.TryParse(row.Url, out _, out var urlError))
            throw new StorageException(StorageErrorKind.InvalidData, Url.ToString(), operation, urlError!);

        return RunAsync(operation, async (connection, token) =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Dialect.Replace(Table, Columns, "(@id, @no, @url, @status, @errors, @failover, @spare, @rg)", ["id", "no"],
                renumbered: false);
            Add(command, "@id", row.Id);
            Add(command, "@no", row.No);
            Add(command, "@url", row.Url);
            Add(command, "@status", (int)row.Status);
            Add(command, "@errors", row.Errors);
            Add(command, "@failover", Dialect.TimeValue(row.Failover, Options.Times));
            Add(command, "@spare", row.Spare ? 1 : 0);
            Add(command, "@rg", row.RiskGroup);
            return await command.ExecuteNonQueryAsync(token);
        }, ct);
    }

    public Task<bool> DeleteRowAsync(int id, int no, CancellationToken ct = default) =>
        UpdateAsync($"delete {Table} row ({id},{no})", $"DELETE FROM {QuotedTable} WHERE id = @id AND no = @no", id, no, ct);

    /// <summary>
    /// p_usrloc's error count: <c>errors = errors + 1</c>. False if the row does not exist. Not repeated after a
    /// lost connection: the first attempt may have counted already.
    /// </summary>
    public Task<bool> IncrementErrorsAsync(int id, int no, CancellationToken ct = default) =>
        UpdateAsync($"count an error of ({id},{no}) in {Table}", $"UPDATE {QuotedTable} SET errors = errors + 1 WHERE id = @id AND no = @no", id, no, ct,
            idempotent: false);

    /// <summary>Turns a member off after too many errors: <c>status = 0, failover = now</c>.</summary>
    public Task<bool> DeactivateAsync(int id, int no, long now, CancellationToken ct = default) =>
        UpdateAsync($"turn off ({id},{no}) in {Table}", $"UPDATE {QuotedTable} SET status = 0, failover = @now WHERE id = @id AND no = @no",
            id, no, ct, [("@now", Dialect.TimeValue(now, Options.Times))]);

    /// <summary>Turns a member on again, as p_usrloc's watcher does: <c>status = 1, failover = now, errors = 0</c>.</summary>
    public Task<bool> ReactivateAsync(int id, int no, long now, CancellationToken ct = default) =>
        UpdateAsync($"turn on ({id},{no}) in {Table}", $"UPDATE {QuotedTable} SET status = 1, failover = @now, errors = 0 WHERE id = @id AND no = @no",
            id, no, ct, [("@now", Dialect.TimeValue(now, Options.Times))]);

    /// <summary>
    /// Marks a member that is on as recovering (<c>failover = now</c>): it missed a write. Only while it is on: a
    /// member an operator or a failover took out meanwhile keeps its state.
    /// </summary>
    public Task<bool> MarkRecoveringAsync(int id, int no, long now, CancellationToken ct = default) =>
        UpdateAsync($"mark ({id},{no}) recovering in {Table}", $"UPDATE {QuotedTable} SET failover = @now WHERE id = @id AND no = @no AND status = 1",
            id, no, ct, [("@now", Dialect.TimeValue(now, Options.Times))]);

    /// <summary>Ends a member's recovery window: <c>failover</c> = p_usrloc's ZERO marker.</summary>
    public Task<bool> ResetFailoverAsync(int id, int no, CancellationToken ct = default) =>
        UpdateAsync($"reset failover of ({id},{no}) in {Table}", $"UPDATE {QuotedTable} SET failover = @zero WHERE id = @id AND no = @no",
            id, no, ct, [("@zero", Dialect.TimeValue(LocDbRow.ZeroTime, Options.Times))]);

    /// <summary>
    /// p_usrloc's spare switch (failover level 2, spec §6), in one serializable transaction: a spare from another
    /// risk group takes the broken member's place (<c>no</c>, status 0, errors 0, failover now, spare 0) and the broken
    /// row is parked behind the group's last row (status 0, spare 1, its errors kept). Both come back through the
    /// watcher. Returns the spare that took over, or null when there is none (the caller then just turns it off).
    /// A broken row that is gone already counts as done, as in p_usrloc.
    /// </summary>
    public Task<LocDbRow?> SwapWithSpareAsync(int id, int no, long now, CancellationToken ct = default) =>
        RunAsync<LocDbRow?>($"swap ({id},{no}) with a spare in {Table}", async (connection, token) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, token);
            var broken = await ReadOneAsync(connection, transaction,
                $"SELECT {ColumnList} FROM {QuotedTable} WHERE id = @id AND no = @no", token, ("@id", id), ("@no", no));
            if (broken is null)
                return null;
            var spare = await ReadOneAsync(connection, transaction,
                $"SELECT {ColumnList} FROM {QuotedTable} WHERE spare = 1 AND rg <> @rg AND status = 1 ORDER BY id, no LIMIT 1{Dialect.ForUpdate}",
                token, ("@rg", broken.RiskGroup));
            if (spare is null)
                return null;

            var newNo = await ScalarIntAsync(connection, transaction, $"SELECT MAX(no) FROM {QuotedTable} WHERE id = @id", spare.Id, token) + 1;
            var time = Dialect.TimeValue(now, Options.Times);
            await ExecuteInAsync(connection, transaction,
                $"UPDATE {QuotedTable} SET id = @nid, no = @nno, errors = @errors, failover = @now, spare = 1, status = 0 WHERE id = @id AND no = @no",
                token, ("@nid", spare.Id), ("@nno", newNo), ("@errors", broken.Errors), ("@now", time), ("@id", id), ("@no", no));
            await ExecuteInAsync(connection, transaction,
                $"UPDATE {QuotedTable} SET id = @nid, no = @nno, errors = 0, failover = @now, spare = 0, status = 0 WHERE id = @id AND no = @no",
                token, ("@nid", id), ("@nno", no), ("@now", time), ("@id", spare.Id), ("@no", spare.No));
            await transaction.CommitAsync(token);
            return spare;
        }, ct, idempotent: false);

    private async Task<LocDbRow?> ReadOneAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken ct,
        params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return (await ReadRowsAsync(command, ct)).FirstOrDefault();
    }

    private static async Task<int> ScalarIntAsync(DbConnection connection, DbTransaction transaction, string sql, int id, CancellationToken ct)
    {
        await using var command = Command(connection, transaction, sql, ("@id", id));
        var value = await command.ExecuteScalarAsync(ct);
        return value is null or DBNull ? 0 : Convert.ToInt32(value, CultureInfo.InvariantCulture);
    }

    private static async Task ExecuteInAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken ct,
        params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// An operator brings a member back from maintenance (or confirms an off one): <c>status = 0</c>, so the watcher
    /// turns it on once it answers and its group resynchronises it. A member that is on is left alone (false).
    /// </summary>
    public Task<bool> ActivateAsync(int id, int no, CancellationToken ct = default) =>
        UpdateAsync($"activate ({id},{no}) in {Table}", $"UPDATE {QuotedTable} SET status = 0 WHERE id = @id AND no = @no AND status <> 1",
            id, no, ct);

    /// <summary>An operator's status change (maintenance = 2, back to 0 for the watcher), without touching the rest.</summary>
    public Task<bool> SetStatusAsync(int id, int no, LocDbStatus status, CancellationToken ct = default) =>
        UpdateAsync($"set status of ({id},{no}) to {(int)status} in {Table}", $"UPDATE {QuotedTable} SET status = @status WHERE id = @id AND no = @no",
            id, no, ct, [("@status", (int)status)]);

    private Task<bool> UpdateAsync(string operation, string sql, int id, int no, CancellationToken ct, (string Name, object? Value)[]? extra = null,
        bool idempotent = true) =>
        RunAsync(operation, async (connection, token) =>
        {
            await using var command = Command(connection, null, sql, [("@id", id), ("@no", no), .. extra ?? []]);
            return await command.ExecuteNonQueryAsync(token) > 0;
        }, ct, idempotent);

    private async Task<IReadOnlyList<LocDbRow>> ReadRowsAsync(DbCommand command, CancellationToken ct)
    {
        var rows = new List<LocDbRow>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new LocDbRow(
                Id: reader.GetInt32(0),
                No: reader.GetInt32(1),
                Url: reader.GetString(2),
                Status: (LocDbStatus)Convert.ToInt32(reader.GetValue(3), CultureInfo.InvariantCulture),
                Errors: reader.GetInt32(4),
                Failover: Dialect.ReadTime(reader, 5, Options.Times),
                Spare: Convert.ToInt32(reader.GetValue(6), CultureInfo.InvariantCulture) != 0,
                RiskGroup: reader.GetInt32(7)));
        }

        return rows;
    }
}
