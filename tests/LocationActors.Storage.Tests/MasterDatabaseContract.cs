using LocationActors.Domain.Encoding;
using LocationActors.Domain.LocDb;
using LocationActors.Storage;
using LocationActors.TestSupport;

namespace LocationActors.Storage.Tests;

/// <summary>The master database's <c>locdb</c> handle, on real MariaDB and on SQLite.</summary>
public abstract class MasterDatabaseContract
{
    private const long Now = 1_767_225_600; // 2026-01-01 00:00:00 UTC

    protected abstract Task<DatabaseUrl> NewDatabaseAsync();

    protected abstract Task<List<string?[]>> QueryAsync(DatabaseUrl url, string sql);

    /// <summary>A DATETIME value as this backend's Kamailio driver stores it, printed as a query returns it.</summary>
    protected abstract string RawTime(long unixSeconds);

    private async Task<MasterDatabase> SeededAsync()
    {
        var master = new MasterDatabase(await NewDatabaseAsync());
        await master.CreateSchemaAsync();
        foreach (var row in Rows)
            await master.UpsertRowAsync(row);
        return master;
    }

    // spec §10's recipe: 2 groups x 2 members, rg = host, plus a parked spare.
    private static readonly LocDbRow[] Rows =
    [
        new(2, 2, "mysql://kamailio:kamailiorw@dbA/loc_g2", LocDbStatus.On, 0, LocDbRow.DefaultTime, false, 1),
        new(1, 1, "mysql://kamailio:kamailiorw@dbA/loc_g1", LocDbStatus.On, 0, LocDbRow.DefaultTime, false, 1),
        new(1, 2, "mysql://kamailio:kamailiorw@dbB/loc_g1", LocDbStatus.On, 3, LocDbRow.DefaultTime, false, 2),
        new(2, 1, "mysql://kamailio:kamailiorw@dbB/loc_g2", LocDbStatus.On, 0, LocDbRow.DefaultTime, false, 2),
        new(1, 3, "mysql://kamailio:kamailiorw@dbC/loc_spare", LocDbStatus.Off, 0, LocDbRow.DefaultTime, true, 3),
    ];

    [Fact]
    public async Task Rows_are_read_in_group_and_member_order()
    {
        await using var master = await SeededAsync();

        Assert.Equal(Rows.OrderBy(r => r.Id).ThenBy(r => r.No), await master.ReadAllAsync());
        Assert.Equal([1, 2, 3], (await master.ReadGroupAsync(1)).Select(r => r.No));
        Assert.Empty(await master.ReadGroupAsync(9));
    }

    [Fact]
    public async Task The_group_count_is_computed_like_p_usrloc()
    {
        await using var master = await SeededAsync();
        Assert.Equal(2, await master.ReadGroupCountAsync());

        await master.UpsertRowAsync(new LocDbRow(3, 1, "mysql://u:p@dbC/loc_g3", LocDbStatus.Maintenance, 0, LocDbRow.DefaultTime, false, 3));
        Assert.Equal(2, await master.ReadGroupCountAsync()); // status 2 does not count

        foreach (var row in Rows)
            await master.SetStatusAsync(row.Id, row.No, LocDbStatus.Off);
        Assert.Null(await master.ReadGroupCountAsync());
    }

    [Fact]
    public async Task Failover_writes_are_p_usrlocs()
    {
        await using var master = await SeededAsync();

        Assert.True(await master.IncrementErrorsAsync(1, 2));
        Assert.True(await master.DeactivateAsync(1, 2, Now));
        var off = (await master.ReadGroupAsync(1))[1];
        Assert.Equal((LocDbStatus.Off, 4, Now), (off.Status, off.Errors, off.Failover));

        Assert.True(await master.ReactivateAsync(1, 2, Now + 10));
        var on = (await master.ReadGroupAsync(1))[1];
        Assert.Equal((LocDbStatus.On, 0, Now + 10), (on.Status, on.Errors, on.Failover));
        Assert.True(on.IsRecovering(Now + 20, expireTime: 3600));

        Assert.True(await master.ResetFailoverAsync(1, 2));
        Assert.Equal([[RawTime(LocDbRow.ZeroTime)]], await QueryAsync(master.Url, "SELECT failover FROM locdb WHERE id = 1 AND no = 2"));
        Assert.False((await master.ReadGroupAsync(1))[1].IsRecovering(Now + 20, 3600));

        Assert.False(await master.IncrementErrorsAsync(7, 7)); // no such row
    }

    [Fact]
    public async Task The_column_default_failover_is_read_as_p_usrloc_writes_it()
    {
        await using var master = await SeededAsync();

        Assert.Equal([[RawTime(LocDbRow.DefaultTime)]], await QueryAsync(master.Url, "SELECT failover FROM locdb WHERE id = 1 AND no = 1"));
        Assert.Equal(LocDbRow.DefaultTime, (await master.ReadGroupAsync(1))[0].Failover);
    }

    [Fact]
    public async Task Operator_status_changes_touch_nothing_else()
    {
        await using var master = await SeededAsync();

        Assert.True(await master.SetStatusAsync(1, 2, LocDbStatus.Maintenance));

        Assert.Equal(Rows[2] with { Status = LocDbStatus.Maintenance }, (await master.ReadGroupAsync(1))[1]);
        Assert.True(await master.DeleteRowAsync(1, 3));
        Assert.Equal(2, (await master.ReadGroupAsync(1)).Count);
    }

    [Fact]
    public async Task Activating_brings_a_member_from_maintenance_to_the_watcher_and_never_takes_one_that_is_on()
    {
        await using var master = await SeededAsync();
        await master.SetStatusAsync(1, 2, LocDbStatus.Maintenance);

        Assert.True(await master.ActivateAsync(1, 2));
        Assert.Equal(Rows[2] with { Status = LocDbStatus.Off }, (await master.ReadGroupAsync(1))[1]);
        Assert.False(await master.ActivateAsync(1, 1)); // on: left alone
        Assert.Equal(LocDbStatus.On, (await master.ReadGroupAsync(1))[0].Status);
        Assert.False(await master.ActivateAsync(9, 1));
    }

    [Fact]
    public async Task A_spare_from_another_risk_group_takes_the_broken_members_place_as_p_usrloc_swaps()
    {
        await using var master = await SeededAsync();
        await master.UpsertRowAsync(Rows[4] with { Status = LocDbStatus.On }); // (1,3): spare, rg 3, usable
        await master.UpsertRowAsync(Rows[2] with { Errors = 50 });            // (1,2): rg 2, broken

        var spare = await master.SwapWithSpareAsync(1, 2, Now);

        Assert.Equal((1, 3), (spare!.Id, spare.No));
        var group = await master.ReadGroupAsync(1);
        Assert.Equal(
        [
            Rows[1],
            new LocDbRow(1, 2, "mysql://kamailio:kamailiorw@dbC/loc_spare", LocDbStatus.Off, 0, Now, false, 3),   // the spare, in its place
            new LocDbRow(1, 4, "mysql://kamailio:kamailiorw@dbB/loc_g1", LocDbStatus.Off, 50, Now, true, 2),       // the broken one, parked
        ], group);
    }

    [Fact]
    public async Task Without_a_spare_in_another_risk_group_nothing_is_swapped()
    {
        await using var master = await SeededAsync();
        await master.UpsertRowAsync(Rows[4] with { Status = LocDbStatus.On, RiskGroup = 2 }); // same risk group as (1,2)

        Assert.Null(await master.SwapWithSpareAsync(1, 2, Now));
        Assert.Null(await master.SwapWithSpareAsync(7, 7, Now)); // no such row
        Assert.Equal(3, (await master.ReadGroupAsync(1)).Count);
    }

    [Theory]
    [InlineData("not a url", "the scheme must be")]
    [InlineData("mysql://u:p@db/", "the database name is missing")]
    public async Task Rows_with_malformed_urls_are_refused(string url, string reason)
    {
        await using var master = await SeededAsync();

        var error = await Assert.ThrowsAsync<StorageException>(() =>
            master.UpsertRowAsync(new LocDbRow(1, 4, url, LocDbStatus.On, 0, LocDbRow.DefaultTime, false, 0)));

        Assert.Equal(StorageErrorKind.InvalidData, error.Kind);
        Assert.Contains(reason, error.Message);
        Assert.Equal(3, (await master.ReadGroupAsync(1)).Count);
    }

    [Fact]
    public async Task Rows_with_over_long_urls_are_refused()
    {
        await using var master = await SeededAsync();
        var url = "mysql://u:p@db/" + new string('d', 60);
        var tooLong = "mysql://u:" + new string('p', 240) + "@db/loc";

        await master.UpsertRowAsync(new LocDbRow(1, 4, url, LocDbStatus.On, 0, LocDbRow.DefaultTime, false, 0));
        var error = await Assert.ThrowsAsync<StorageException>(() =>
            master.UpsertRowAsync(new LocDbRow(1, 5, tooLong, LocDbStatus.On, 0, LocDbRow.DefaultTime, false, 0)));

        Assert.Contains("the column holds 255", error.Message);
        Assert.DoesNotContain(new string('p', 240), error.Message);
    }
}

[Collection(MariaDbCollection.Name)]
[Trait(Tier.Name, Tier.Db)]
public sealed class MariaDbMasterDatabaseTests(MariaDbServers servers) : MasterDatabaseContract
{
    protected override Task<DatabaseUrl> NewDatabaseAsync() => servers.CreateDatabaseAsync();

    protected override Task<List<string?[]>> QueryAsync(DatabaseUrl url, string sql) => servers.QueryAsync(url, sql);

    // Kamailio's db_mysql: wall-clock text; the ZERO marker is "1901-12-13 20:45:52" (EncodingTests).
    protected override string RawTime(long unixSeconds) => DbTimeCodec.Utc.ToDbText(unixSeconds);
}

[Trait(Tier.Name, Tier.Unit)]
public sealed class SqliteMasterDatabaseTests : MasterDatabaseContract, IDisposable
{
    private readonly SqliteFolder _folder = new();

    protected override Task<DatabaseUrl> NewDatabaseAsync() => Task.FromResult(_folder.NewDatabase());

    protected override Task<List<string?[]>> QueryAsync(DatabaseUrl url, string sql) => SqliteFolder.QueryAsync(url, sql);

    // Kamailio's db_sqlite: Julian days of the UTC time.
    protected override string RawTime(long unixSeconds) =>
        (((unixSeconds - 0.5) / 86400.0) + 2440587.5).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose() => _folder.Dispose();
}
