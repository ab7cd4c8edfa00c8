using LocationActors.Storage;
using LocationActors.TestSupport;
using Microsoft.Data.Sqlite;

namespace LocationActors.Storage.Tests;

/// <summary>
/// The tables we create must be Kamailio's own: compared column by column and index by index with the scripts the
/// Debian packages ship (<c>kamailio-mysql-modules</c>, <c>kamailio-postgres-modules</c>, <c>kamailio-sqlite-modules</c>),
/// loaded into the same server.
/// </summary>
[Collection(MariaDbCollection.Name)]
[Trait(Tier.Name, Tier.Db)]
public sealed class KamailioSchemaTests(MariaDbServers servers, PostgresServers postgres) : IDisposable, IClassFixture<PostgresServers>
{
    private const string KamailioMySql = "/usr/share/kamailio/mysql";
    private const string KamailioPostgres = "/usr/share/kamailio/postgres";
    private const string KamailioSqlite = "/usr/share/kamailio/db_sqlite";

    private readonly SqliteFolder _folder = new();

    private static string Script(string folder, string name)
    {
        var path = Path.Combine(folder, name);
        Assert.True(File.Exists(path), $"{path} is missing: apt-get install kamailio-mysql-modules kamailio-postgres-modules kamailio-sqlite-modules");
        return File.ReadAllText(path);
    }

    [Fact]
    public async Task The_mariadb_location_table_is_kamailios()
    {
        var kamailio = await servers.CreateDatabaseAsync();
        await servers.ExecuteAsync(1, Script(KamailioMySql, "standard-create.sql") + Script(KamailioMySql, "usrloc-create.sql"), kamailio.Database);
        var ours = await servers.CreateDatabaseAsync();
        await using (var db = new LocationDatabase(ours))
            await db.CreateSchemaAsync();

        foreach (var table in new[] { "location", "version" })
        {
            Assert.Equal(await ColumnsAsync(kamailio, table), await ColumnsAsync(ours, table));
            Assert.Equal(await IndexesAsync(kamailio, table), await IndexesAsync(ours, table));
        }

        Assert.Equal(await VersionsAsync(kamailio, "location"), await VersionsAsync(ours, "location"));
    }

    [Fact]
    public async Task The_mariadb_locdb_table_is_p_usrlocs()
    {
        var ours = await servers.CreateDatabaseAsync();
        await using (var db = new MasterDatabase(ours))
            await db.CreateSchemaAsync();

        // p_usrloc.sql (Kamailio 5.6), which Debian does not ship: spec §3.
        Assert.Equal(
        [
            ["id", "int(11)", "NO", "0", ""], ["no", "int(11)", "NO", "0", ""], ["url", "varchar(255)", "NO", "''", ""],
            ["status", "tinyint(4)", "NO", "1", ""], ["errors", "int(11)", "NO", "0", ""],
            ["failover", "datetime", "NO", "'1900-01-01 00:00:01'", ""], ["spare", "tinyint(4)", "NO", "0", ""], ["rg", "int(11)", "NO", "0", ""],
        ], await ColumnsAsync(ours, "locdb"));
        Assert.Equal([["no", "1", "no"], ["PRIMARY", "0", "id,no"]], await IndexesAsync(ours, "locdb"));
        Assert.Equal([["InnoDB", "latin1"]],
            await servers.QueryAsync(ours, $"SELECT t.engine, c.character_set_name FROM information_schema.tables t JOIN information_schema.collation_character_set_applicability c ON c.collation_name = t.table_collation WHERE t.table_schema = '{ours.Database}' AND t.table_name = 'locdb'"));
    }

    [Fact]
    public async Task The_postgres_location_table_is_kamailios()
    {
        var kamailio = await postgres.CreateDatabaseAsync();
        await PostgresServers.ExecuteAsync(kamailio, Script(KamailioPostgres, "standard-create.sql") + Script(KamailioPostgres, "usrloc-create.sql"));
        var ours = await postgres.CreateDatabaseAsync();
        await using (var db = new LocationDatabase(ours))
            await db.CreateSchemaAsync();

        foreach (var table in new[] { "location", "version" })
        {
            Assert.Equal(await PostgresColumnsAsync(kamailio, table), await PostgresColumnsAsync(ours, table));
            Assert.Equal(await PostgresIndexesAsync(kamailio, table), await PostgresIndexesAsync(ours, table));
        }

        Assert.Equal(await PostgresServers.QueryAsync(kamailio, "SELECT table_name, table_version FROM version WHERE table_name = 'location'"),
            await PostgresServers.QueryAsync(ours, "SELECT table_name, table_version FROM version WHERE table_name = 'location'"));
    }

    [Fact]
    public async Task The_sqlite_location_table_is_kamailios()
    {
        var kamailio = _folder.NewDatabase();
        await SqliteFolder.ExecuteAsync(kamailio, Script(KamailioSqlite, "standard-create.sql") + Script(KamailioSqlite, "usrloc-create.sql"));
        var ours = _folder.NewDatabase();
        await using (var db = new LocationDatabase(ours))
            await db.CreateSchemaAsync();

        foreach (var table in new[] { "location", "version" })
        {
            Assert.Equal(await SqliteFolder.QueryAsync(kamailio, $"PRAGMA table_info({table})"), await SqliteFolder.QueryAsync(ours, $"PRAGMA table_info({table})"));
            Assert.Equal(await SqliteIndexesAsync(kamailio, table), await SqliteIndexesAsync(ours, table));
        }
    }

    private Task<List<string?[]>> ColumnsAsync(DatabaseUrl db, string table) => servers.QueryAsync(db,
        "SELECT column_name, column_type, is_nullable, column_default, extra FROM information_schema.columns " +
        $"WHERE table_schema = '{db.Database}' AND table_name = '{table}' ORDER BY ordinal_position");

    private Task<List<string?[]>> IndexesAsync(DatabaseUrl db, string table) => servers.QueryAsync(db,
        "SELECT index_name, MIN(non_unique), GROUP_CONCAT(column_name ORDER BY seq_in_index) FROM information_schema.statistics " +
        $"WHERE table_schema = '{db.Database}' AND table_name = '{table}' GROUP BY index_name ORDER BY index_name");

    private static Task<List<string?[]>> PostgresColumnsAsync(DatabaseUrl db, string table) => PostgresServers.QueryAsync(db,
        "SELECT column_name, data_type, character_maximum_length, is_nullable, column_default FROM information_schema.columns " +
        $"WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position");

    // The definition as the server prints it (name, uniqueness, columns), apart from the index's own name.
    private static Task<List<string?[]>> PostgresIndexesAsync(DatabaseUrl db, string table) => PostgresServers.QueryAsync(db,
        $"SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = '{table}' ORDER BY indexname");

    private Task<List<string?[]>> VersionsAsync(DatabaseUrl db, string table) =>
        servers.QueryAsync(db, $"SELECT table_name, table_version FROM version WHERE table_name = '{table}'");

    private static async Task<List<string>> SqliteIndexesAsync(DatabaseUrl db, string table)
    {
        var result = new List<string>();
        foreach (var index in await SqliteFolder.QueryAsync(db, $"PRAGMA index_list({table})"))
        {
            var columns = await SqliteFolder.QueryAsync(db, $"PRAGMA index_info('{index[1]}')");
            result.Add($"{index[1]} unique={index[2]} origin={index[3]} ({string.Join(",", columns.Select(c => c[2]))})");
        }

        result.Sort(StringComparer.Ordinal);
        return result;
    }

    public void Dispose() => _folder.Dispose();
}
