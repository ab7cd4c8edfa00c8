using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Akka.DistributedData;
using Akka.Persistence.Sql;
using LocationActors.Cluster;
using LocationActors.Cluster.Gateway;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Contacts;
using LocationActors.Node.Configuration;
using LocationActors.Storage;
using MySqlConnector;

namespace LocationActors.Node.Hosting;

/// <summary>
/// A running cluster node: its actor system, the location-group shard region and the locdb mirror singleton.
/// Built from the node's HOCON; the persistence connection (where sharding remembers its groups) is derived from the
/// master database URL, so an operator configures that database once.
/// </summary>
public sealed class NodeHost(ActorSystem system, IActorRef groups)
{
    public ActorSystem System { get; } = system;

    /// <summary>The shard region: send any <see cref="IGroupMessage"/> here.</summary>
    public IActorRef Groups { get; } = groups;

    /// <summary>Creates the master's tables when missing, then starts the actor system and joins the cluster.</summary>
    public static async Task<NodeHost> StartAsync(NodeSettings settings, Config config)
    {
        await using (var master = new MasterDatabase(settings.Location.MasterDbUrl, settings.Location.Storage, settings.Location.LocDbTable))
        {
            await master.CreateSchemaAsync();
            await master.CreateAkkaPersistenceSchemaAsync();
        }

        var system = ActorSystem.Create(ClusterConstants.SystemName, WithPersistence(config, settings.Location.MasterDbUrl)
            .WithFallback(ClusterSharding.DefaultConfig())
            .WithFallback(DistributedData.DefaultConfig())
            .WithFallback(ClusterSingleton.DefaultConfig())
            .WithFallback(ClusterClientReceptionist.DefaultConfig())
            .WithFallback(DistributedPubSub.DefaultConfig())
            .WithFallback(SqlPersistence.DefaultConfiguration));

        var configProxy = system.ActorOf(ClusterSingletonProxy.Props($"/user/{ClusterConstants.ClusterConfigName}",
            ClusterSingletonProxySettings.Create(system).WithRole(ClusterConstants.LocationRole)), "cluster-config-proxy");
        var ruids = new RuidGenerator();
        var groups = await ClusterSharding.Get(system).StartAsync(
            ClusterConstants.GroupShardTypeName,
            entityId =>
            {
                var (table, groupId) = GroupMessageExtractor.Parse(entityId);
                return LocationGroup.Props(groupId, settings.Groups with { Table = table }, configProxy, ruids);
            },
            ClusterShardingSettings.Create(system).WithRole(ClusterConstants.LocationRole),
            new GroupMessageExtractor());
        // Proxies are not cluster members: they reach the groups through the cluster client and this gateway.
        var gateway = system.ActorOf(GroupsGateway.Props(groups, settings.Location.Domains, configProxy, settings.Location.Registrar), GroupsGateway.Name);
        ClusterClientReceptionist.Get(system).RegisterService(gateway);
        system.ActorOf(ClusterSingletonManager.Props(
            Cluster.ClusterConfig.ClusterConfig.Props(settings.ClusterConfig, groups, DistributedData.Get(system).Replicator),
            PoisonPill.Instance,
            ClusterSingletonManagerSettings.Create(system).WithRole(ClusterConstants.LocationRole)), ClusterConstants.ClusterConfigName);
        return new NodeHost(system, groups);
    }

    /// <summary>The journal and snapshot store live in the master database.</summary>
    private static Config WithPersistence(Config config, DatabaseUrl master)
    {
        var (connection, provider, autoInitialize) = master.Kind == DatabaseKind.MySql
            ? (new MySqlConnectionStringBuilder
            {
                Server = master.Host, Port = (uint)master.Port, UserID = master.User ?? "", Password = master.Password ?? "",
                Database = master.Database,
            }.ConnectionString, "MariaDB.10.MySqlConnector", "off") // tables from sql/mysql/akka-persistence-create.sql
            : ($"Data Source={master.Database};Default Timeout=30", "SQLite.MS", "on"); // the plugin's SQLite tables are right

        var plugin = new Dictionary<string, object>
        {
            ["connection-string"] = connection,
            ["provider-name"] = provider,
            ["auto-initialize"] = autoInitialize,
        };
        var overrides = new Dictionary<string, object>
        {
            ["akka"] = new Dictionary<string, object>
            {
                ["persistence"] = new Dictionary<string, object>
                {
                    ["journal"] = new Dictionary<string, object> { ["sql"] = plugin },
                    ["snapshot-store"] = new Dictionary<string, object> { ["sql"] = plugin },
                },
            },
        };
        return ConfigurationFactory.FromObject(overrides).WithFallback(config);
    }
}
