using System.Globalization;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Encoding;
using LocationActors.Storage;
using LocationActors.TestSupport;

namespace LocationActors.Storage.Tests;

/// <summary>Tests that share the real PostgreSQL servers (xunit wants the definition in the test assembly).</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServers>
{
    public const string Name = "PostgreSQL";
}

/// <summary>The storage contract on a real PostgreSQL server, in Kamailio's PostgreSQL schema.</summary>
[Collection(PostgresCollection.Name)]
[Trait(Tier.Name, Tier.Db)]
public sealed class PostgresLocationDatabaseTests(PostgresServers servers) : WallClockLocationDatabaseContract
{
    protected override Task<DatabaseUrl> NewDatabaseAsync() => servers.CreateDatabaseAsync();

    protected override Task<List<string?[]>> QueryAsync(DatabaseUrl url, string sql) => PostgresServers.QueryAsync(url, sql);

    protected override Task ExecuteAsync(DatabaseUrl url, string sql) => PostgresServers.ExecuteAsync(url, sql);

    protected override string PartitionColumn => "partition";

    protected override bool StoresNul => false;

    // db_postgres has no REPLACE: a new row is an INSERT (db_postgres_insert).
    protected override string KamailioInsert(string columns, string values) => $"INSERT INTO location ({columns}) VALUES ({values})";

    protected override Task RefuseRuidAsync(DatabaseUrl url, string ruid) => PostgresServers.ExecuteAsync(url,
        "CREATE FUNCTION refuse_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN " +
        $"IF NEW.ruid = '{ruid}' THEN RAISE EXCEPTION 'refused by the test trigger' USING ERRCODE = '22001'; END IF; RETURN NEW; END $$; " +
        "CREATE TRIGGER refuse_row BEFORE INSERT ON location FOR EACH ROW EXECUTE FUNCTION refuse_row()");

    [Fact]
    public async Task A_replaced_row_takes_a_new_id_as_mariadbs_replace_gives_it()
    {
        await using var db = await NewLocationDatabaseAsync();
        await db.UpsertAsync([Binding("nora", 1), Binding("nora", 2)]);
        var before = await QueryAsync(db.Url, "SELECT ruid, id FROM location ORDER BY id");

        await db.UpsertAsync([Binding("nora", 1) with { CSeq = 99 }]);

        // The row written last comes last, as p_usrloc's lookup order (oldest REPLACE first) expects.
        var after = await QueryAsync(db.Url, "SELECT ruid, id, cseq FROM location ORDER BY id");
        Assert.Equal([before[1][0], before[0][0]], after.Select(r => r[0]));
        Assert.True(long.Parse(after[1][1]!, CultureInfo.InvariantCulture) > long.Parse(before[1][1]!, CultureInfo.InvariantCulture));
        Assert.Equal("99", after[1][2]);
    }

    [Fact]
    public async Task A_ruid_given_twice_in_one_batch_is_stored_as_its_last_row()
    {
        await using var db = await NewLocationDatabaseAsync();

        await db.UpsertAsync([Binding("olga") with { CSeq = 1 }, Binding("olga") with { CSeq = 2 }]);

        Assert.Equal(2, Assert.Single(await db.LoadAorAsync("olga", null)).CSeq);
    }

    [Fact]
    public async Task A_connection_the_server_dropped_is_replaced_without_an_error()
    {
        await using var db = await NewLocationDatabaseAsync();
        await db.UpsertAsync([Binding("nina")]);
        // What a server restart or an administrator's pg_terminate_backend does to a kept connection.
        var ended = await QueryAsync(db.Url,
            $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db.Url.Database}' AND pid <> pg_backend_pid()");
        Assert.NotEmpty(ended);

        Assert.Equal(1, await db.CountAsync());
        await db.UpsertAsync([Binding("nina", 2)]);
        Assert.Equal(2, await db.CountAsync());
    }

    [Fact]
    public async Task An_unreachable_server_is_a_transient_connection_error_that_names_it()
    {
        await using var db = new LocationDatabase(DatabaseUrl.Parse("postgres://nobody:secret@127.0.0.1:1/loc_g1"));

        var error = await Assert.ThrowsAsync<StorageException>(() => db.ProbeAsync());

        Assert.Equal(StorageErrorKind.Connection, error.Kind);
        Assert.StartsWith("postgres://nobody:***@127.0.0.1:1/loc_g1: probe failed (connection)", error.Message);
        Assert.DoesNotContain("secret", error.Message);
    }

    [Fact]
    public async Task A_wrong_password_is_a_connection_error_and_a_missing_database_a_schema_error()
    {
        var good = await servers.CreateDatabaseAsync();
        await using var wrong = new LocationDatabase(DatabaseUrl.Parse($"postgres://{good.User}:wrong-password@{good.Host}:{good.Port}/{good.Database}"));
        await using var missing = new LocationDatabase(DatabaseUrl.Parse($"postgres://{good.User}:{good.Password}@{good.Host}:{good.Port}/la_no_such_db"));

        var denied = await Assert.ThrowsAsync<StorageException>(() => wrong.ProbeAsync());
        var absent = await Assert.ThrowsAsync<StorageException>(() => missing.ProbeAsync());

        Assert.Equal(StorageErrorKind.Connection, denied.Kind);
        Assert.Contains("password authentication failed", denied.Message);
        Assert.Equal(StorageErrorKind.Schema, absent.Kind);
        Assert.DoesNotContain(good.Password!, absent.Message);
    }
}

/// <summary>The master database's contract on a real PostgreSQL server.</summary>
[Collection(PostgresCollection.Name)]
[Trait(Tier.Name, Tier.Db)]
public sealed class PostgresMasterDatabaseTests(PostgresServers servers) : MasterDatabaseContract
{
    protected override Task<DatabaseUrl> NewDatabaseAsync() => servers.CreateDatabaseAsync();

    protected override Task<List<string?[]>> QueryAsync(DatabaseUrl url, string sql) => PostgresServers.QueryAsync(url, sql);

    protected override string RawTime(long unixSeconds) => DbTimeCodec.Utc.ToDbText(unixSeconds);
}
