using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Encoding;
using LocationActors.Storage.Schema;

namespace LocationActors.Storage;

/// <summary>
/// The handle of one partition database: the contacts of one location group in a Kamailio <c>location</c> table,
/// read and written exactly as p_usrloc does (REPLACE by ruid, deletes by ruid / contact / AOR, the same encodings),
/// so Kamailio nodes and LocationActors can share the table.
/// </summary>
public sealed partial class LocationDatabase : SqlDatabase
{
    public const string DefaultTable = "location";

    // Every column but the auto-increment id. p_usrloc writes 17 of them and leaves server_id, connection_id,
    // keepalive and partition at their default 0; writing our zeros there stores the same row.
    private static readonly string[] Columns =
    [
        "ruid", "username", "domain", "contact", "received", "path", "expires", "q", "callid", "cseq", "last_modified",
        "flags", "cflags", "user_agent", "socket", "methods", "instance", "reg_id", "server_id", "connection_id",
        "keepalive", "partition",
    ];

    private readonly string _columnList; // Columns, quoted for the engine (MariaDB reserves `partition`)

    private readonly ConcurrentDictionary<int, string> _replaceSql = new();

    public LocationDatabase(DatabaseUrl url, StorageOptions? options = null, string table = DefaultTable)
        : base(url, options, table)
    {
        _columnList = string.Join(", ", Columns.Select(Dialect.Quote));
    }

    private protected override SchemaScript Schema => SchemaScript.Location;

    private DbTimeCodec Times => Options.Times;

    /// <summary>
    /// Inserts or replaces bindings by ruid, many rows per statement; a batch larger than one statement runs in one
    /// transaction. Every binding is validated first: an over-long value fails the call with
    /// <see cref="StorageErrorKind.InvalidData"/> before anything is written. When the server refuses a row the
    /// checks cannot foresee (a character its column's charset lacks, a trigger), the batch is retried row by row so
    /// that one bad row does not take the others down: the rows it refused are returned, everything else is stored.
    /// Connection, timeout and schema failures throw: then nothing of the batch is known to be stored.
    /// </summary>
    /// <returns>The rows the server refused (empty when all are stored).</returns>
    public Task<IReadOnlyList<RowFailure>> UpsertAsync(IReadOnlyList<ContactBinding> bindings, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bindings);
        var operation = $"upsert {bindings.Count} contact(s) into {Table}";
        foreach (var binding in bindings)
            if (binding.Validate() is { } problem)
                throw new StorageException(StorageErrorKind.InvalidData, Url.ToString(), operation,
                    $"{binding.Username} {binding.Contact}: {problem}");
        if (bindings.Count == 0)
            return Task.FromResult<IReadOnlyList<RowFailure>>([]);

        return RunAsync(operation, async (connection, token) =>
        {
            try
            {
                await ReplaceAsync(connection, bindings, token);
                return (IReadOnlyList<RowFailure>)[];
            }
            catch (DbException e) when (IsRowRefusal(e, connection))
            {
                var failures = new List<RowFailure>();
                foreach (var binding in bindings)
                {
                    try
                    {
                        await ReplaceAsync(connection, [binding], token);
                    }
                    catch (DbException rowError) when (IsRowRefusal(rowError, connection))
                    {
                        failures.Add(new RowFailure(binding.Ruid, Failure($"upsert {binding.Ruid} into {Table}", rowError, connection)));
                    }
                }

                return failures;
            }
        }, ct);
    }

    private bool IsRowRefusal(Exception e, DbConnection connection) =>
        Classify(e, connection) is StorageErrorKind.InvalidData or StorageErrorKind.Statement;

    private int RowsPerStatement => Math.Min(Options.MaxRowsPerStatement, Dialect.MaxRowsPerStatement);

    private async Task ReplaceAsync(DbConnection connection, IReadOnlyList<ContactBinding> bindings, CancellationToken token)
    {
        await using var transaction = bindings.Count > RowsPerStatement ? await connection.BeginTransactionAsync(token) : null;
        await ReplaceRowsAsync(connection, transaction, bindings, token);
        if (transaction is not null)
            await transaction.CommitAsync(token);
    }

    /// <summary>Multi-row REPLACE statements of at most <see cref="RowsPerStatement"/> rows each.</summary>
    private async Task ReplaceRowsAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyList<ContactBinding> bindings,
        CancellationToken token)
    {
        for (var start = 0; start < bindings.Count; start += RowsPerStatement)
        {
            var count = Math.Min(RowsPerStatement, bindings.Count - start);
            // Only PostgreSQL needs each ruid once per statement; the other engines take the batch as it is, uncopied.
            var distinct = Dialect.ReplacesOneRowPerKey ? LastOfEachRuid(bindings, start, count) : null;
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = _replaceSql.GetOrAdd(distinct?.Count ?? count, BuildReplace);
            for (var row = 0; row < (distinct?.Count ?? count); row++)
                AddRow(command, row, distinct?[row] ?? bindings[start + row]);
            await command.ExecuteNonQueryAsync(token);
        }
    }

    /// <summary>The rows <paramref name="start"/>..+<paramref name="count"/> as REPLACE would leave them: a ruid given twice is stored as its last row.</summary>
    private static List<ContactBinding> LastOfEachRuid(IReadOnlyList<ContactBinding> bindings, int start, int count)
    {
        var last = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (var i = start; i < start + count; i++)
            last[bindings[i].Ruid] = i;
        var rows = new List<ContactBinding>(last.Count);
        for (var i = start; i < start + count; i++)
            if (last[bindings[i].Ruid] == i)
                rows.Add(bindings[i]);
        return rows;
    }

    /// <summary>Deletes bindings by ruid (p_usrloc with <c>db_ops_ruid=1</c>); returns the number of rows removed.</summary>
    public Task<int> DeleteByRuidAsync(IReadOnlyCollection<string> ruids, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ruids);
        if (ruids.Count == 0)
            return Task.FromResult(0);
        return RunAsync($"delete {ruids.Count} contact(s) by ruid from {Table}", async (connection, token) =>
        {
            await using var transaction = ruids.Count > RowsPerStatement ? await connection.BeginTransactionAsync(token) : null; // all or nothing
            var removed = await DeleteRuidsAsync(connection, transaction, ruids, token);
            if (transaction is not null)
                await transaction.CommitAsync(token);
            return removed;
        }, ct);
    }

    /// <summary>DELETE … WHERE ruid IN (…) statements of at most <see cref="RowsPerStatement"/> ruids each.</summary>
    private async Task<int> DeleteRuidsAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyCollection<string> ruids, CancellationToken token)
    {
        var removed = 0;
        foreach (var chunk in ruids.Chunk(RowsPerStatement))
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"DELETE FROM {QuotedTable} WHERE ruid IN ({InList(command, "r", chunk)})";
            removed += await command.ExecuteNonQueryAsync(token);
        }

        return removed;
    }

    /// <summary>
    /// Deletes one binding the way p_usrloc does with <c>db_ops_ruid=0</c>: by username, contact and the stored
    /// Call-ID, plus the domain when AORs carry one.
    /// </summary>
    public Task<int> DeleteContactAsync(string username, string? domain, string contact, string callId, CancellationToken ct = default) =>
        RunAsync($"delete contact of {username} from {Table}", async (connection, token) =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"DELETE FROM {QuotedTable} WHERE username = @username AND contact = @contact AND callid = @callid"
                                  + (domain is null ? "" : " AND domain = @domain");
            Add(command, "@username", username);
            Add(command, "@contact", contact);
            Add(command, "@callid", callId);
            if (domain is not null)
                Add(command, "@domain", domain);
            return await command.ExecuteNonQueryAsync(token);
        }, ct);

    /// <summary>Deletes every binding of an AOR (a REGISTER with <c>Contact: *</c>); returns the number removed.</summary>
    public Task<int> DeleteAorAsync(string username, string? domain, CancellationToken ct = default) =>
        RunAsync($"delete AOR {username} from {Table}", async (connection, token) =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"DELETE FROM {QuotedTable} WHERE username = @username" + (domain is null ? "" : " AND domain = @domain");
            Add(command, "@username", username);
            if (domain is not null)
                Add(command, "@domain", domain);
            return await command.ExecuteNonQueryAsync(token);
        }, ct);

    /// <summary>
    /// The bindings of one AOR in Kamailio's list order: q descending, unspecified last, ties oldest row first.
    /// Like p_usrloc it does not filter expired rows (the caller knows the time); rows Kamailio would skip
    /// (empty contact or Call-ID) are skipped.
    /// </summary>
    public Task<IReadOnlyList<ContactBinding>> LoadAorAsync(string username, string? domain, CancellationToken ct = default) =>
        RunAsync<IReadOnlyList<ContactBinding>>($"load AOR {username} from {Table}", async (connection, token) =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT id, {_columnList} FROM {QuotedTable} WHERE username = @username"
                                  + (domain is null ? "" : " AND domain = @domain") + " ORDER BY q DESC, id ASC";
            Add(command, "@username", username);
            if (domain is not null)
                Add(command, "@domain", domain);
            return await ReadAllAsync(command, token);
        }, ct);

    /// <summary>
    /// The bindings of several AORs at once, by username (the caller keeps the domains it wants), in statements of at
    /// most <see cref="RowsPerStatement"/> usernames: one round trip where a group reads many AORs, as while it loads.
    /// Each AOR's rows come in <see cref="LoadAorAsync"/>'s order.
    /// </summary>
    public Task<IReadOnlyList<ContactBinding>> LoadUsernamesAsync(IReadOnlyCollection<string> usernames, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(usernames);
        if (usernames.Count == 0)
            return Task.FromResult<IReadOnlyList<ContactBinding>>([]);
        return RunAsync<IReadOnlyList<ContactBinding>>($"load {usernames.Count} AOR(s) from {Table}", async (connection, token) =>
        {
            var rows = new List<ContactBinding>();
            foreach (var chunk in usernames.Distinct(StringComparer.Ordinal).Chunk(RowsPerStatement))
            {
                await using var command = connection.CreateCommand();
                command.CommandText = $"SELECT id, {_columnList} FROM {QuotedTable} WHERE username IN ({InList(command, "u", chunk)}) ORDER BY q DESC, id ASC";
                rows.AddRange(await ReadAllAsync(command, token));
            }

            return rows;
        }, ct);
    }

    /// <summary>
    /// The rows of these ruids that the table holds now (expired ones included; rows Kamailio would skip are
    /// skipped), by ruid. Reads in statements of at most <see cref="RowsPerStatement"/> ruids.
    /// </summary>
    public Task<IReadOnlyDictionary<string, ContactBinding>> LoadRuidsAsync(IReadOnlyCollection<string> ruids, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ruids);
        if (ruids.Count == 0)
            return Task.FromResult<IReadOnlyDictionary<string, ContactBinding>>(new Dictionary<string, ContactBinding>());
        return RunAsync<IReadOnlyDictionary<string, ContactBinding>>($"load {ruids.Count} contact(s) by ruid from {Table}", async (connection, token) =>
        {
            var found = new Dictionary<string, ContactBinding>(ruids.Count, StringComparer.Ordinal);
            foreach (var chunk in ruids.Chunk(RowsPerStatement))
            {
                await using var command = connection.CreateCommand();
                command.CommandText = $"SELECT id, {_columnList} FROM {QuotedTable} WHERE ruid IN ({InList(command, "r", chunk)})";
                foreach (var binding in await ReadAllAsync(command, token))
                    found[binding.Ruid] = binding;
            }

            return found;
        }, ct);
    }

    /// <summary>
    /// Every binding of the table, page by page on a connection of its own (the handle stays free for writes), in
    /// row-id order. Memory stays bounded by <see cref="StorageOptions.StreamPageSize"/> however large the table.
    /// On MariaDB a row replaced or inserted while the scan runs gets a higher id (AUTO_INCREMENT never reuses
    /// one), so it is seen again rather than missed. SQLite's rowid (Kamailio's schema has no AUTOINCREMENT) may
    /// reuse the highest id after a delete: a scan there must not race writers, which the embedded single-host
    /// setup guarantees (a group does not write while it loads).
    /// </summary>
    public async IAsyncEnumerable<ContactBinding> StreamAllAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var connection = CreateDetachedConnection();
        long after = -1;
        while (true)
        {
            var page = await RunDetachedAsync($"stream {Table}", connection, async (c, token) =>
            {
                await using var command = c.CreateCommand();
                command.CommandText = $"SELECT id, {_columnList} FROM {QuotedTable} WHERE id > @after ORDER BY id LIMIT @page";
                Add(command, "@after", after);
                Add(command, "@page", Options.StreamPageSize);
                return await ReadPageAsync(command, token);
            }, ct);

            foreach (var binding in page.Bindings)
                yield return binding;
            if (page.RowCount < Options.StreamPageSize)
                yield break;
            after = page.LastId;
        }
    }

    /// <summary>
    /// Deletes at most <paramref name="limit"/> rows that expired at or before <paramref name="now"/> (permanent ones
    /// never expire). Returns how many went, so a caller can repeat until fewer than the limit are removed.
    /// </summary>
    public Task<int> DeleteExpiredAsync(long now, int limit, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return RunAsync($"delete expired contacts from {Table}", async (connection, token) =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Dialect.DeleteLimited(QuotedTable, "expires <= @now AND expires <> @permanent");
            Add(command, "@now", Dialect.TimeValue(now, Times));
            Add(command, "@permanent", Dialect.TimeValue(ContactBinding.Permanent, Times));
            Add(command, "@limit", limit);
            return await command.ExecuteNonQueryAsync(token);
        }, ct);
    }

    /// <summary>The number of rows in the table, expired ones included.</summary>
    public Task<long> CountAsync(CancellationToken ct = default) =>
        RunAsync($"count {Table}", async (connection, token) =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT COUNT(*) FROM {QuotedTable}";
            return Convert.ToInt64(await command.ExecuteScalarAsync(token), System.Globalization.CultureInfo.InvariantCulture);
        }, ct);

    // internal, not private: bench/LocationActors.Benchmarks measures building a batch apart from running it.
    internal string BuildReplace(int rows)
    {
        var values = new StringBuilder();
        for (var row = 0; row < rows; row++)
        {
            values.Append(row == 0 ? "(" : ", (");
            for (var col = 0; col < Columns.Length; col++)
                values.Append(col == 0 ? "" : ", ").Append("@c").Append(col).Append('r').Append(row);
            values.Append(')');
        }

        return Dialect.Replace(Table, Columns, values.ToString(), ["ruid"], renumbered: true);
    }

    internal void AddRow(DbCommand command, int row, ContactBinding b)
    {
        object?[] values =
        [
            b.Ruid, b.Username, b.Domain, b.Contact, b.Received, b.Path, Dialect.TimeValue(b.Expires, Times), b.Q.ToDbValue(),
            b.CallId, b.CSeq, Dialect.TimeValue(b.LastModified, Times), b.Flags, b.CFlags, b.UserAgent, b.Socket,
            MethodsCodec.ToDb(b.Methods), b.Instance, b.RegId, b.ServerId, b.ConnectionId, b.Keepalive, b.Partition,
        ];
        for (var col = 0; col < values.Length; col++)
            Add(command, $"@c{col}r{row}", values[col]);
    }

    private async Task<IReadOnlyList<ContactBinding>> ReadAllAsync(DbCommand command, CancellationToken ct) =>
        (await ReadPageAsync(command, ct)).Bindings;

    private async Task<Page> ReadPageAsync(DbCommand command, CancellationToken ct)
    {
        var bindings = new List<ContactBinding>();
        var rows = 0;
        long lastId = -1;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows++;
            lastId = Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture);
            var binding = ReadBinding(reader);
            if (binding.Contact.Length > 0 && binding.CallId.Length > 0)
                bindings.Add(binding);
        }

        return new Page(bindings, rows, lastId);
    }

    // Column ordinals follow "id, " + ColumnList.
    private ContactBinding ReadBinding(DbDataReader r) => new(
        Ruid: r.GetString(1),
        Username: r.GetString(2),
        Domain: NullableString(r, 3),
        Contact: r.GetString(4),
        Received: NullableString(r, 5),
        Path: NullableString(r, 6),
        Expires: Dialect.ReadTime(r, 7, Times),
        Q: QValue.FromDbValue(r.GetDouble(8)),
        CallId: r.GetString(9),
        CSeq: r.GetInt32(10),
        LastModified: Dialect.ReadTime(r, 11, Times),
        Flags: r.GetInt32(12),
        CFlags: r.GetInt32(13),
        UserAgent: r.GetString(14),
        Socket: NullableString(r, 15),
        Methods: MethodsCodec.FromDb(r.IsDBNull(16) ? null : r.GetInt32(16)),
        Instance: NullableString(r, 17),
        RegId: r.GetInt32(18),
        ServerId: r.GetInt32(19),
        ConnectionId: r.GetInt32(20),
        Keepalive: r.GetInt32(21),
        Partition: r.GetInt32(22));

    private static string? NullableString(DbDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetString(ordinal);

    private sealed record Page(IReadOnlyList<ContactBinding> Bindings, int RowCount, long LastId);
}

/// <summary>A row the database refused to store, and why.</summary>
public sealed record RowFailure(string Ruid, StorageException Error);
