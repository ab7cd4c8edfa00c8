using Akka.Actor;
using Akka.Configuration;
using Akka.DistributedData;
using Akka.TestKit.Xunit2;
using LocationActors.Cluster.ClusterConfig;
using LocationActors.Domain.LocDb;
using LocationActors.Storage;
using LocationActors.TestSupport;

namespace LocationActors.Cluster.Tests;

/// <summary>
/// The locdb mirror keeps its last good layout in distributed data, so a new mirror (the singleton moved after a
/// node died) starts from it: while the master is down, and with the N the cluster has served with.
/// </summary>
[Collection(MariaDbCollection.Name)]
[Trait(Tier.Name, Tier.Db)]
public sealed class ClusterConfigReplicationTests(MariaDbServers servers) : TestKit(ConfigurationFactory.ParseString("""
    akka.actor.provider = cluster
    akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
    akka.loglevel = WARNING
    """).WithFallback(DistributedData.DefaultConfig()))
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    private static LocDbRow Row(int id, int no) => new(id, no, $"mysql://u:p@db{no}:3306/loc_g{id}", LocDbStatus.On, 0, LocDbRow.DefaultTime, false, no);

    private async Task<(MasterDatabase Master, IActorRef Replicator)> StartAsync()
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        await cluster.JoinAsync(cluster.SelfAddress);
        var master = new MasterDatabase(await servers.CreateDatabaseAsync());
        await master.CreateSchemaAsync();
        foreach (var row in new[] { Row(1, 1), Row(2, 1) })
            await master.UpsertRowAsync(row);
        return (master, DistributedData.Get(Sys).Replicator);
    }

    private IActorRef Mirror(MasterDatabase master, IActorRef groups, IActorRef replicator) =>
        Sys.ActorOf(ClusterConfig.ClusterConfig.Props(new ClusterConfigSettings(master.Url, PollInterval: Poll), groups, replicator));

    /// <summary>A first mirror reads locdb (N = 2), keeps the layout in distributed data, and goes away.</summary>
    private async Task<(MasterDatabase Master, IActorRef Replicator)> FirstMirrorCameAndWentAsync()
    {
        var (master, replicator) = await StartAsync();
        var groups = CreateTestProbe();
        var first = Mirror(master, groups.Ref, replicator);
        groups.ExpectMsg<GroupLayout>(Wait);
        groups.ExpectMsg<GroupLayout>(Wait);
        await StopAsync(first, replicator);
        return (master, replicator);
    }

    private async Task StopAsync(IActorRef mirror, IActorRef replicator)
    {
        // The layout reached the local replica before the first mirror goes away.
        await AwaitAssertAsync(async () =>
            Assert.IsType<GetSuccess>(await replicator.Ask<IGetResponse>(Dsl.Get(new LWWRegisterKey<string>("locdb-last-good-layout"), ReadLocal.Instance))),
            Wait);
        Watch(mirror);
        Sys.Stop(mirror);
        ExpectTerminated(mirror, Wait);
    }

    [Fact]
    public async Task A_new_mirror_serves_the_last_good_layout_while_the_master_is_down()
    {
        var (master, replicator) = await FirstMirrorCameAndWentAsync();
        await using var _ = master;

        await servers.ExecuteAsync(1, "RENAME TABLE locdb TO locdb_away", master.Url.Database);
        try
        {
            var second = Mirror(master, CreateTestProbe().Ref, replicator);
            second.Tell(new GetGroupLayout(2), TestActor);

            var layout = ExpectMsg<GroupLayout>(Wait);
            Assert.Equal((2, 2, true), (layout.GroupId, layout.GroupCount, layout.Exists));
            Assert.Equal([Row(2, 1)], layout.Rows);
        }
        finally
        {
            await servers.ExecuteAsync(1, "RENAME TABLE locdb_away TO locdb", master.Url.Database);
        }
    }

    [Fact]
    public async Task A_new_mirror_keeps_the_n_the_cluster_served_with()
    {
        var (master, replicator) = await FirstMirrorCameAndWentAsync();
        await using var _ = master;

        await master.UpsertRowAsync(Row(3, 1)); // would make N = 3 for a process computing it now
        var second = Mirror(master, CreateTestProbe().Ref, replicator);
        second.Tell(new GetGroupLayout(1), TestActor);

        Assert.Equal(2, ExpectMsg<GroupLayout>(Wait).GroupCount);
        second.Tell(new GetGroupLayout(3), TestActor);
        Assert.False(ExpectMsg<GroupLayout>(Wait).Exists);
    }
}
