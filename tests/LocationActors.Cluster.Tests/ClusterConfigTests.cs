using Akka.Actor;
using Akka.TestKit.Xunit2;
using LocationActors.Cluster.ClusterConfig;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.LocDb;
using LocationActors.Storage;
using LocationActors.TestSupport;

namespace LocationActors.Cluster.Tests;

/// <summary>The <c>locdb</c> mirror against a real master database.</summary>
[Collection(MariaDbCollection.Name)]
[Trait(Tier.Name, Tier.Db)]
public sealed class ClusterConfigTests(MariaDbServers servers) : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    private static LocDbRow Row(int id, int no, LocDbStatus status = LocDbStatus.On) =>
        new(id, no, $"mysql://u:p@db{no}:3306/loc_g{id}", status, 0, LocDbRow.DefaultTime, false, no);

    private async Task<MasterDatabase> MasterAsync(params LocDbRow[] rows)
    {
        var master = new MasterDatabase(await servers.CreateDatabaseAsync());
        await master.CreateSchemaAsync();
        foreach (var row in rows)
            await master.UpsertRowAsync(row);
        return master;
    }

    private IActorRef Start(MasterDatabase master, IActorRef groups) =>
        Sys.ActorOf(ClusterConfig.ClusterConfig.Props(new ClusterConfigSettings(master.Url, PollInterval: Poll), groups));

    [Fact]
    public async Task Every_group_gets_its_rows_at_start_and_only_changed_groups_later()
    {
        await using var master = await MasterAsync(Row(1, 1), Row(1, 2), Row(2, 1), Row(2, 2), Row(2, 3) with { Spare = true });
        var groups = CreateTestProbe();
        Start(master, groups.Ref);

        var first = new[] { groups.ExpectMsg<GroupLayout>(Wait), groups.ExpectMsg<GroupLayout>(Wait) }.OrderBy(l => l.GroupId).ToList();
        Assert.Equal([1, 2], first.Select(l => l.GroupId));
        Assert.All(first, l => Assert.Equal(2, l.GroupCount));
        Assert.Equal([1, 2, 3], first[1].Rows.Select(r => r.No));
        groups.ExpectNoMsg(Poll * 3); // nothing changed, nothing pushed

        await master.SetStatusAsync(2, 2, LocDbStatus.Maintenance);

        var changed = groups.ExpectMsg<GroupLayout>(Wait);
        Assert.Equal(2, changed.GroupId);
        Assert.Equal(LocDbStatus.Maintenance, changed.Rows[1].Status);
        groups.ExpectNoMsg(Poll * 3);
    }

    [Fact]
    public async Task Groups_that_ask_get_their_layout()
    {
        await using var master = await MasterAsync(Row(1, 1), Row(1, 2), Row(2, 1));
        var config = Start(master, CreateTestProbe().Ref);

        config.Tell(new GetGroupLayout(2), TestActor);

        var layout = ExpectMsg<GroupLayout>(Wait);
        Assert.Equal((2, 2, true), (layout.GroupId, layout.GroupCount, layout.Exists));
        Assert.Equal([Row(2, 1)], layout.Rows);

        config.Tell(new GetGroupLayout(3), TestActor);
        Assert.False(ExpectMsg<GroupLayout>(Wait).Exists); // beyond N
        config.Tell(new GetGroupLayout(1, "nope"), TestActor);
        Assert.False(ExpectMsg<GroupLayout>(Wait).Exists); // unknown table
    }

    [Fact]
    public async Task An_unreadable_master_keeps_the_last_good_layout()
    {
        await using var master = await MasterAsync(Row(1, 1), Row(1, 2));
        var groups = CreateTestProbe();
        var config = Start(master, groups.Ref);
        groups.ExpectMsg<GroupLayout>(Wait);

        await servers.ExecuteAsync(1, "RENAME TABLE locdb TO locdb_away", master.Url.Database);
        try
        {
            groups.ExpectNoMsg(Poll * 3);
            config.Tell(new GetGroupLayout(1), TestActor);
            Assert.Equal(2, ExpectMsg<GroupLayout>(Wait).Rows.Count);
        }
        finally
        {
            await servers.ExecuteAsync(1, "RENAME TABLE locdb_away TO locdb", master.Url.Database);
        }

        await master.SetStatusAsync(1, 1, LocDbStatus.Off);
        Assert.Equal(LocDbStatus.Off, groups.ExpectMsg<GroupLayout>(Wait).Rows[0].Status); // readable again: changes flow
    }

    [Fact]
    public async Task The_group_count_is_fixed_at_start_like_p_usrloc()
    {
        await using var master = await MasterAsync(Row(1, 1), Row(2, 1));
        var groups = CreateTestProbe();
        var config = Start(master, groups.Ref);
        groups.ExpectMsg<GroupLayout>(Wait);
        groups.ExpectMsg<GroupLayout>(Wait);

        await master.UpsertRowAsync(Row(3, 1));
        groups.ExpectNoMsg(Poll * 3); // a third group needs a restart of everything, as with p_usrloc

        config.Tell(new GetGroupLayout(1), TestActor);
        Assert.Equal(2, ExpectMsg<GroupLayout>(Wait).GroupCount);
    }

    [Fact]
    public async Task Every_domain_gets_its_layouts()
    {
        await using var master = await MasterAsync(Row(1, 1), Row(2, 1));
        var groups = CreateTestProbe();
        var cfaUrl = DatabaseUrl.Parse("mysql://u:p@cfa-db/cfa");
        var domains = new[]
        {
            new UsrlocDomain("location", DomainKind.Cluster), new UsrlocDomain("aliases", DomainKind.Cluster),
            new UsrlocDomain("cfa", DomainKind.Single, cfaUrl),
        };
        Sys.ActorOf(ClusterConfig.ClusterConfig.Props(new ClusterConfigSettings(master.Url, PollInterval: Poll, Domains: domains), groups.Ref));

        var layouts = Enumerable.Range(0, 5).Select(_ => groups.ExpectMsg<GroupLayout>(Wait)).OrderBy(l => l.Table).ThenBy(l => l.GroupId).ToList();

        Assert.Equal(["aliases/1", "aliases/2", "cfa/0", "location/1", "location/2"], layouts.Select(l => $"{l.Table}/{l.GroupId}"));
        Assert.Equal([new LocDbRow(0, 1, cfaUrl.Original, LocDbStatus.On, 0, LocDbRow.ZeroTime, false, 0)], layouts[2].Rows);
        Assert.Equal(layouts[0].Rows, layouts[3].Rows);
        groups.ExpectNoMsg(Poll * 3);
    }

    [Fact]
    public async Task Member_changes_are_written_as_p_usrloc_writes_them_and_pushed_at_once()
    {
        await using var master = await MasterAsync(Row(1, 1), Row(1, 2));
        var groups = CreateTestProbe();
        var config = Sys.ActorOf(ClusterConfig.ClusterConfig.Props(
            new ClusterConfigSettings(master.Url, PollInterval: TimeSpan.FromMinutes(10)), groups.Ref)); // no polling: pushes come from the changes
        groups.ExpectMsg<GroupLayout>(Wait);

        config.Tell(new ChangeMember(1, 2, MemberChange.CountError, "timeout"), TestActor);
        config.Tell(new ChangeMember(1, 2, MemberChange.CountError, "timeout"), TestActor);
        Assert.True(ExpectMsg<MemberChanged>(Wait).Found);
        ExpectMsg<MemberChanged>(Wait);
        Assert.Equal(2, (await master.ReadGroupAsync(1))[1].Errors);

        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        config.Tell(new ChangeMember(1, 2, MemberChange.TurnOff, "too many errors"), TestActor);
        ExpectMsg<MemberChanged>(Wait);
        var off = (await master.ReadGroupAsync(1))[1];
        Assert.Equal((LocDbStatus.Off, 2), (off.Status, off.Errors));
        Assert.InRange(off.Failover, before, before + 60);
        await AwaitAssertAsync(() => Assert.Equal(LocDbStatus.Off, groups.ExpectMsg<GroupLayout>(TimeSpan.FromSeconds(1)).Rows[1].Status), Wait);

        config.Tell(new ChangeMember(1, 2, MemberChange.TurnOn, "answers again"), TestActor);
        ExpectMsg<MemberChanged>(Wait);
        Assert.Equal((LocDbStatus.On, 0), ((await master.ReadGroupAsync(1))[1].Status, (await master.ReadGroupAsync(1))[1].Errors));

        config.Tell(new ChangeMember(1, 2, MemberChange.EndRecovery, "resynced"), TestActor);
        ExpectMsg<MemberChanged>(Wait);
        Assert.Equal(LocDbRow.ZeroTime, (await master.ReadGroupAsync(1))[1].Failover);

        config.Tell(new ChangeMember(1, 1, MemberChange.Maintenance, "operator"), TestActor);
        ExpectMsg<MemberChanged>(Wait);
        Assert.Equal(LocDbStatus.Maintenance, (await master.ReadGroupAsync(1))[0].Status);

        config.Tell(new ChangeMember(9, 9, MemberChange.CountError, "no such row"), TestActor);
        Assert.False(ExpectMsg<MemberChanged>(Wait).Found);
    }

    [Fact]
    public async Task At_failover_level_2_a_spare_takes_the_place_of_a_member_turned_off()
    {
        await using var master = await MasterAsync(Row(1, 1), Row(1, 2), Row(1, 3) with { Spare = true, RiskGroup = 9 });
        var config = Sys.ActorOf(ClusterConfig.ClusterConfig.Props(
            new ClusterConfigSettings(master.Url, PollInterval: Poll, FailoverLevel: 2), CreateTestProbe().Ref));

        config.Tell(new ChangeMember(1, 2, MemberChange.TurnOff, "50 errors"), TestActor);
        ExpectMsg<MemberChanged>(Wait);

        var rows = await master.ReadGroupAsync(1);
        Assert.Equal([(1, "mysql://u:p@db1:3306/loc_g1", LocDbStatus.On), (2, "mysql://u:p@db3:3306/loc_g1", LocDbStatus.Off),
            (4, "mysql://u:p@db2:3306/loc_g1", LocDbStatus.Off)], rows.Select(r => (r.No, r.Url, r.Status)));
    }

    [Fact]
    public async Task Changes_wait_while_the_master_is_down_and_are_written_after()
    {
        await using var master = await MasterAsync(Row(1, 1));
        var config = Start(master, CreateTestProbe().Ref);
        config.Tell(new GetGroupLayout(1), TestActor);
        ExpectMsg<GroupLayout>(Wait);

        await servers.ExecuteAsync(1, "RENAME TABLE locdb TO locdb_away", master.Url.Database);
        config.Tell(new ChangeMember(1, 1, MemberChange.CountError, "timeout"), TestActor);
        ExpectNoMsg(Poll * 3);
        await servers.ExecuteAsync(1, "RENAME TABLE locdb_away TO locdb", master.Url.Database);

        Assert.True(ExpectMsg<MemberChanged>(Wait).Found);
        Assert.Equal(1, (await master.ReadGroupAsync(1))[0].Errors);
    }

    /// <summary>
    /// A mirror reading locdb from a replica, as it sees one: another database (on the other server) with a copy of
    /// the master's locdb (group 1 of two members). Returns once the group got its first layout.
    /// </summary>
    private async Task<(MasterDatabase Master, MasterDatabase Replica, Akka.TestKit.TestProbe Groups, IActorRef Config)> StartWithReplicaAsync()
    {
        var master = await MasterAsync(Row(1, 1), Row(1, 2));
        var replica = new MasterDatabase(await servers.CreateDatabaseAsync(2));
        await replica.CreateSchemaAsync();
        foreach (var row in await master.ReadAllAsync())
            await replica.UpsertRowAsync(row);
        var groups = CreateTestProbe();
        var config = Sys.ActorOf(ClusterConfig.ClusterConfig.Props(new ClusterConfigSettings(master.Url, PollInterval: Poll, ReadUrl: replica.Url), groups.Ref));
        groups.ExpectMsg<GroupLayout>(Wait);
        return (master, replica, groups, config);
    }

    [Fact]
    public async Task With_a_read_database_locdb_is_read_there_and_changes_are_written_to_the_master()
    {
        var (master, replica, groups, config) = await StartWithReplicaAsync();
        await using var _ = master;
        await using var __ = replica;

        // What the replica says is what the groups get.
        await replica.SetStatusAsync(1, 2, LocDbStatus.Maintenance);
        Assert.Equal(LocDbStatus.Maintenance, groups.ExpectMsg<GroupLayout>(Wait).Rows[1].Status);

        // A change goes to the master, not to the replica.
        config.Tell(new ChangeMember(1, 1, MemberChange.CountError, "timeout"), TestActor);
        Assert.True(ExpectMsg<MemberChanged>(Wait).Found);
        Assert.Equal(1, (await master.ReadGroupAsync(1))[0].Errors);
        Assert.Equal(0, (await replica.ReadGroupAsync(1))[0].Errors);
    }

    [Fact]
    public async Task A_read_database_and_the_master_each_fail_on_their_own_without_stopping_the_mirror()
    {
        var (master, replica, groups, config) = await StartWithReplicaAsync();
        await using var _ = master;
        await using var __ = replica;

        // The replica away: locdb is read on the master, whose changes reach the groups.
        await servers.ExecuteAsync(2, "RENAME TABLE locdb TO locdb_away", replica.Url.Database);
        try
        {
            await master.SetStatusAsync(1, 1, LocDbStatus.Maintenance);
            Assert.Equal(LocDbStatus.Maintenance, groups.ExpectMsg<GroupLayout>(Wait).Rows[0].Status);
        }
        finally
        {
            await servers.ExecuteAsync(2, "RENAME TABLE locdb_away TO locdb", replica.Url.Database);
        }

        // The master away: the layout follows the replica, and a change waits for the master.
        await replica.SetStatusAsync(1, 1, LocDbStatus.On);
        await replica.SetStatusAsync(1, 2, LocDbStatus.Maintenance);
        await servers.ExecuteAsync(1, "RENAME TABLE locdb TO locdb_away", master.Url.Database);
        try
        {
            config.Tell(new ChangeMember(1, 1, MemberChange.CountError, "timeout"), TestActor);
            var layout = groups.FishForMessage<GroupLayout>(l => l.Rows[1].Status == LocDbStatus.Maintenance, Wait);
            Assert.Equal(LocDbStatus.On, layout.Rows[0].Status);
            ExpectNoMsg(Poll * 3);
        }
        finally
        {
            await servers.ExecuteAsync(1, "RENAME TABLE locdb_away TO locdb", master.Url.Database);
        }

        Assert.True(ExpectMsg<MemberChanged>(Wait).Found);
        Assert.Equal(1, (await master.ReadGroupAsync(1))[0].Errors);
    }

    [Fact]
    public async Task Groups_asking_before_the_first_read_are_answered_after_it()
    {
        await using var master = await MasterAsync();
        var config = Start(master, CreateTestProbe().Ref);
        config.Tell(new GetGroupLayout(1), TestActor);
        ExpectNoMsg(Poll * 3); // no active row: no layout yet

        await master.UpsertRowAsync(Row(1, 1));

        Assert.Equal(1, ExpectMsg<GroupLayout>(Wait).GroupCount);
    }
}
