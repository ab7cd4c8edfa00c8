using System.Globalization;
using LocationActors.Domain.Contacts;

namespace LocationActors.Storage;

/// <summary>Bringing a member to a given state: the full reconciliation, and the digest that tells when none is needed.</summary>
public sealed partial class LocationDatabase
{
    /// <summary>
    /// Makes the table hold exactly <paramref name="bindings"/>, writing only the difference: the table is read
    /// (page by page), then rows that are missing or differ are written and rows not in the list deleted, in one
    /// transaction, so a member being resynchronised is never seen half-copied. A member that missed a few writes —
    /// the usual case, and the only one after a group restarts elsewhere — costs a read and those few writes, not a
    /// rewrite of the whole partition. Returns how many rows were written and deleted. The caller must be the
    /// table's only writer meanwhile (a member handle runs its queue one operation at a time).
    /// </summary>
    public async Task<(int Written, int Deleted)> ReconcileAsync(IReadOnlyCollection<ContactBinding> bindings, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bindings);
        var operation = $"resynchronise {Table} with {bindings.Count} contact(s)";
        var wanted = new Dictionary<string, ContactBinding>(bindings.Count, StringComparer.Ordinal);
        foreach (var binding in bindings)
        {
            if (binding.Validate() is { } problem)
                throw new StorageException(StorageErrorKind.InvalidData, Url.ToString(), operation, $"{binding.Username} {binding.Contact}: {problem}");
            wanted[binding.Ruid] = binding;
        }

        var stale = new List<string>();
        var same = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var row in StreamAllAsync(ct))
        {
            if (!wanted.TryGetValue(row.Ruid, out var binding))
                stale.Add(row.Ruid);
            else if (binding == row)
                same.Add(row.Ruid);
        }

        var write = wanted.Values.Where(b => !same.Contains(b.Ruid)).ToList();
        if (write.Count == 0 && stale.Count == 0)
            return (0, 0);
        return await RunAsync(operation, async (connection, token) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(token);
            var deleted = await DeleteRuidsAsync(connection, transaction, stale, token);
            await ReplaceRowsAsync(connection, transaction, write, token);
            await transaction.CommitAsync(token);
            return (write.Count, deleted);
        }, ct);
    }

    /// <summary>
    /// The table's content as two numbers (row count and checksum) computed by the server, which sends no row: two
    /// members with equal digests hold the same rows. Null when the engine cannot compute one (SQLite).
    /// </summary>
    public Task<TableDigest?> DigestAsync(CancellationToken ct = default)
    {
        if (Dialect.Digest(QuotedTable, Columns) is not { } sql)
            return Task.FromResult<TableDigest?>(null);
        return RunAsync<TableDigest?>($"digest {Table}", async (connection, token) =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.CommandTimeout = (int)Math.Ceiling(Options.ScanTimeout.TotalSeconds);
            await using var reader = await command.ExecuteReaderAsync(token);
            await reader.ReadAsync(token);
            return new TableDigest(Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture),
                Convert.ToDecimal(reader.GetValue(1), CultureInfo.InvariantCulture));
        }, ct);
    }
}
