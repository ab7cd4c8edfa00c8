using System.Globalization;
using LocationActors.Storage;
using MySqlConnector;

namespace LocationActors.TestSupport;

/// <summary>
/// A MariaDB member's <c>location</c> table held by another session (<c>LOCK TABLES</c>): for writing, every statement
/// on it waits; for reading, reads go on and writes wait. The lock lasts until <see cref="ReleaseAsync"/> or disposal.
/// </summary>
public sealed class TableLock : IAsyncDisposable
{
    private readonly MySqlConnection _connection;
    private readonly DatabaseUrl _url;

    private TableLock(MySqlConnection connection, DatabaseUrl url) => (_connection, _url) = (connection, url);

    /// <summary>Holds the table of <paramref name="url"/>'s database, for writing or only for reading.</summary>
    public static async Task<TableLock> HoldAsync(DatabaseUrl url, bool forWriting)
    {
        var connection = new MySqlConnection(MariaDbServers.ConnectionString(url));
        await connection.OpenAsync();
        await using var command = new MySqlCommand($"LOCK TABLES location {(forWriting ? "WRITE" : "READ")}", connection);
        await command.ExecuteNonQueryAsync();
        return new TableLock(connection, url);
    }

    /// <summary>Whether another session's statement on this database waits for a table lock now.</summary>
    public async Task<bool> IsWaitedOnAsync()
    {
        await using var connection = new MySqlConnection(MariaDbServers.ConnectionString(_url));
        await connection.OpenAsync();
        await using var command = new MySqlCommand(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND STATE LIKE '%lock%' AND INFO IS NOT NULL AND ID <> CONNECTION_ID()", connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture) > 0;
    }

    public async Task ReleaseAsync()
    {
        await using var command = new MySqlCommand("UNLOCK TABLES", _connection);
        await command.ExecuteNonQueryAsync();
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync(); // closing the session releases its locks
}
