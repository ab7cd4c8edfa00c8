using LocationActors.Storage;
using LocationActors.TestSupport;

namespace LocationActors.Storage.Tests;

[Collection(MariaDbCollection.Name)]
public sealed class MariaDbLocationDatabaseTests(MariaDbServers servers) : LocationDatabaseContract
{
    protected override Task<DatabaseUrl> NewDatabaseAsync() => servers.CreateDatabaseAsync();

    protected override Task<List<string?[]>> QueryAsync(DatabaseUrl url, string sql) => servers.QueryAsync(url, sql);

    protected override Task ExecuteAsync(DatabaseUrl url, string sql) => servers.ExecuteAsync(1, sql, url.Database);

    [Fact]
    public async Task A_lost_connection_is_a_transient_error_and_the_next_call_reconnects()
    {
        await using var db = await NewLocationDatabaseAsync();
        await db.UpsertAsync([Binding("nina")]);
        var ids = await servers.QueryAsync(db.Url, $"SELECT id FROM information_schema.processlist WHERE db = '{db.Url.Database}' AND id <> CONNECTION_ID()");
        foreach (var id in ids)
            await servers.ExecuteAsync(1, $"KILL CONNECTION {id[0]}");

        var error = await Assert.ThrowsAsync<StorageException>(() => db.CountAsync());

        Assert.Equal(StorageErrorKind.Connection, error.Kind);
        Assert.True(error.IsTransient);
        Assert.Equal(1, await db.CountAsync());
    }

    [Fact]
    public async Task An_unreachable_server_is_a_transient_connection_error_that_names_it()
    {
        var url = DatabaseUrl.Parse("mysql://nobody:secret@127.0.0.1:1/loc_g1");
        await using var db = new LocationDatabase(url);

        var error = await Assert.ThrowsAsync<StorageException>(() => db.ProbeAsync());

        Assert.Equal(StorageErrorKind.Connection, error.Kind);
        Assert.StartsWith("mysql://nobody:***@127.0.0.1:1/loc_g1: probe failed (connection)", error.Message);
        Assert.DoesNotContain("secret", error.Message);
    }

    [Fact]
    public async Task A_wrong_password_is_reported_not_thrown_raw()
    {
        var good = await servers.CreateDatabaseAsync();
        await using var db = new LocationDatabase(DatabaseUrl.Parse($"mysql://{good.User}:wrong-password@{good.Host}:{good.Port}/{good.Database}"));

        var error = await Assert.ThrowsAsync<StorageException>(() => db.ProbeAsync());

        Assert.Equal(StorageErrorKind.Connection, error.Kind);
        Assert.Contains("Access denied", error.Message);
    }

    [Fact]
    public async Task A_lax_server_would_truncate_so_long_values_never_reach_it()
    {
        await using var db = await NewLocationDatabaseAsync();
        await servers.ExecuteAsync(1, "SET GLOBAL sql_mode = ''"); // a server configured without strict mode
        try
        {
            await using var lax = new LocationDatabase(db.Url);
            var error = await Assert.ThrowsAsync<StorageException>(() => lax.UpsertAsync([Binding("omar") with { CallId = new string('c', 300) }]));
            Assert.Equal(StorageErrorKind.InvalidData, error.Kind);
            Assert.Equal(0, await lax.CountAsync());
        }
        finally
        {
            await servers.ExecuteAsync(1, "SET GLOBAL sql_mode = DEFAULT");
        }
    }
}

public sealed class SqliteLocationDatabaseTests : LocationDatabaseContract, IDisposable
{
    private readonly SqliteFolder _folder = new();

    protected override Task<DatabaseUrl> NewDatabaseAsync() => Task.FromResult(_folder.NewDatabase());

    protected override Task<List<string?[]>> QueryAsync(DatabaseUrl url, string sql) => SqliteFolder.QueryAsync(url, sql);

    protected override Task ExecuteAsync(DatabaseUrl url, string sql) => SqliteFolder.ExecuteAsync(url, sql);

    [Fact]
    public async Task An_unopenable_file_is_a_connection_error_that_names_it()
    {
        Directory.CreateDirectory(_folder.Path);
        await using var db = new LocationDatabase(DatabaseUrl.Parse($"sqlite://{_folder.Path}")); // a directory, not a file

        var error = await Assert.ThrowsAsync<StorageException>(() => db.ProbeAsync());

        Assert.Equal(StorageErrorKind.Connection, error.Kind);
        Assert.Contains(_folder.Path, error.Message);
    }

    public void Dispose() => _folder.Dispose();
}
