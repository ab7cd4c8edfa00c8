using System.Globalization;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Encoding;
using LocationActors.Storage;
using LocationActors.TestSupport;

namespace LocationActors.Storage.Tests;

/// <summary>
/// The contract on a database server whose Kamailio driver writes times as wall-clock text in the host's zone: MariaDB's
/// DATETIME (db_mysql) and PostgreSQL's TIMESTAMP WITHOUT TIME ZONE (db_postgres); UTC here.
/// </summary>
public abstract class WallClockLocationDatabaseContract : LocationDatabaseContract
{
    protected override string RawTime(long unixSeconds) => DbTimeCodec.Utc.ToDbText(unixSeconds);

    protected override string TimeLiteral(long unixSeconds) => $"'{DbTimeCodec.Utc.ToDbText(unixSeconds)}'";

    [Fact]
    public async Task Times_are_written_as_wall_clock_of_the_configured_zone()
    {
        var berlin = StorageOptions.Default with { Times = new DbTimeCodec(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")) };
        await using var db = await NewLocationDatabaseAsync(berlin);
        var binding = Binding("lena") with { Expires = Now + 3600 };
        await db.UpsertAsync([binding, Binding("mike") with { Expires = ContactBinding.Permanent }]);

        Assert.Equal([["2026-01-01 02:00:00"], ["1970-01-01 01:00:00"]],
            (await QueryAsync(db.Url, "SELECT expires FROM location ORDER BY username")).Select(Normalise));
        Assert.Equal([binding], await db.LoadAorAsync("lena", null));
        Assert.Equal(0, await db.DeleteExpiredAsync(Now + 3600 - 1, 10)); // still valid a second before
        Assert.Equal(1, await db.DeleteExpiredAsync(Now + 3600, 10));
    }
}

[Collection(MariaDbCollection.Name)]
[Trait(Tier.Name, Tier.Db)]
public sealed class MariaDbLocationDatabaseTests(MariaDbServers servers) : WallClockLocationDatabaseContract
{
    protected override Task<DatabaseUrl> NewDatabaseAsync() => servers.CreateDatabaseAsync();

    protected override Task<List<string?[]>> QueryAsync(DatabaseUrl url, string sql) => servers.QueryAsync(url, sql);

    protected override Task ExecuteAsync(DatabaseUrl url, string sql) => servers.ExecuteAsync(1, sql, url.Database);

    protected override Task RefuseRuidAsync(DatabaseUrl url, string ruid) => servers.ExecuteAsync(1,
        $"CREATE TRIGGER refuse_row BEFORE INSERT ON location FOR EACH ROW IF NEW.ruid = '{ruid}' THEN " +
        "SIGNAL SQLSTATE '22001' SET MYSQL_ERRNO = 1406, MESSAGE_TEXT = 'refused by the test trigger'; END IF", url.Database);



    [Fact]
    public async Task A_connection_the_server_dropped_is_replaced_without_an_error()
    {
        await using var db = await NewLocationDatabaseAsync();
        await db.UpsertAsync([Binding("nina")]);
        // What the server's idle timeout or a restart does to a kept connection.
        var ids = await servers.QueryAsync(db.Url, $"SELECT id FROM information_schema.processlist WHERE db = '{db.Url.Database}' AND id <> CONNECTION_ID()");
        Assert.NotEmpty(ids);
        foreach (var id in ids)
            await servers.ExecuteAsync(1, $"KILL CONNECTION {id[0]}");

        Assert.Equal(1, await db.CountAsync());
        await db.UpsertAsync([Binding("nina", 2)]);
        Assert.Equal(2, await db.CountAsync());
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
    public async Task Over_long_values_never_reach_a_server_that_might_truncate_them()
    {
        // Nothing listens on port 1: had the value been sent, the error would be a connection error.
        await using var db = new LocationDatabase(DatabaseUrl.Parse("mysql://u:p@127.0.0.1:1/loc"));

        var error = await Assert.ThrowsAsync<StorageException>(() => db.UpsertAsync([Binding("omar") with { CallId = new string('c', 300) }]));

        Assert.Equal(StorageErrorKind.InvalidData, error.Kind);
        Assert.Contains("CallId has 300 characters", error.Message);
    }

    [Fact]
    public async Task A_burst_of_reads_opens_no_more_connections_than_the_pool_allows()
    {
        var url = await servers.CreateDatabaseAsync();
        await using (var schema = new LocationDatabase(url))
            await schema.CreateSchemaAsync();
        var pooled = new StorageOptions { MaxPoolSize = 3 };

        // 40 reads at once, each through a handle of its own, as the proxy's member reads are made.
        await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            await using var db = new LocationDatabase(url, pooled);
            Assert.Empty(await db.LoadAorAsync($"burst{i}", null));
        }));

        // The pool's 3, the schema handle's pooled connection, and the query's own.
        var open = await servers.QueryAsync(url, $"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = '{url.Database}'");
        Assert.InRange(int.Parse(open[0][0]!, CultureInfo.InvariantCulture), 1, 5);
    }
}

[Trait(Tier.Name, Tier.Unit)]
public sealed class SqliteLocationDatabaseTests : LocationDatabaseContract, IDisposable
{
    private readonly SqliteFolder _folder = new();

    protected override Task<DatabaseUrl> NewDatabaseAsync() => Task.FromResult(_folder.NewDatabase());

    protected override bool HasDigest => false;

    protected override Task<List<string?[]>> QueryAsync(DatabaseUrl url, string sql) => SqliteFolder.QueryAsync(url, sql);

    protected override Task ExecuteAsync(DatabaseUrl url, string sql) => SqliteFolder.ExecuteAsync(url, sql);

    // Kamailio's db_sqlite: DATETIME as the Julian day of the UTC time, a REAL.
    protected override string RawTime(long unixSeconds) => JulianDay(unixSeconds).ToString(CultureInfo.InvariantCulture);

    protected override string TimeLiteral(long unixSeconds) => JulianDay(unixSeconds).ToString("R", CultureInfo.InvariantCulture);

    protected override Task RefuseRuidAsync(DatabaseUrl url, string ruid) => SqliteFolder.ExecuteAsync(url,
        $"CREATE TRIGGER refuse_row BEFORE INSERT ON location WHEN NEW.ruid = '{ruid}' BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END");

    private static double JulianDay(long unixSeconds) => ((unixSeconds - 0.5) / 86400.0) + 2440587.5; // db_sqlite's timet_to_sqlite

    [Fact]
    public async Task Times_are_utc_julian_days_whatever_the_zone()
    {
        var berlin = StorageOptions.Default with { Times = new DbTimeCodec(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")) };
        await using var db = await NewLocationDatabaseAsync(berlin);
        var binding = Binding("lena") with { Expires = BindingFields.Now + 3600 };
        await db.UpsertAsync([binding]);

        Assert.Equal([["2461041.5416608797"]], await QueryAsync(db.Url, "SELECT expires FROM location"));
        Assert.Equal([binding], await db.LoadAorAsync("lena", null));
    }

    [Fact]
    public async Task Column_defaults_written_as_text_are_read()
    {
        await using var db = await NewLocationDatabaseAsync();
        await ExecuteAsync(db.Url, "INSERT INTO location (ruid, username, contact, callid) VALUES ('r1', 'dflt', 'sip:d@x', 'c')");

        var binding = Assert.Single(await db.LoadAorAsync("dflt", null));
        Assert.Equal(DbTimeCodec.Utc.FromDbText("2030-05-28 21:32:15"), binding.Expires);
    }

    [Fact]
    public async Task Expiry_compares_times_as_numbers()
    {
        await using var db = await NewLocationDatabaseAsync();
        await db.UpsertAsync([Binding("p") with { Expires = ContactBinding.Permanent }, Binding("q") with { Expires = BindingFields.Now - 1 }]);
        await ExecuteAsync(db.Url, "INSERT INTO location (ruid, username, contact, callid) VALUES ('r1', 'dflt', 'sip:d@x', 'c')");

        Assert.Equal(1, await db.DeleteExpiredAsync(BindingFields.Now, 10));
        Assert.Equal(2, await db.CountAsync()); // the permanent one and the text default (2030) stay
    }
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
