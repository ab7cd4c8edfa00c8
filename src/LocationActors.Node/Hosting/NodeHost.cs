using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Akka.DistributedData;
using Akka.Hosting;
using Akka.Persistence.Sql;
using LocationActors.Cluster;
using LocationActors.Cluster.ClusterConfig;
using LocationActors.Cluster.Gateway;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Contracts.Http;
using LocationActors.Node.Configuration;
using LocationActors.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using MySqlConnector;
using Prometheus;

namespace LocationActors.Node.Hosting;

/// <summary>
/// A running cluster node: its actor system (location groups, the <c>locdb</c> mirror, the proxies' gateway, each
/// wired by the registration beside its actor) and its HTTP endpoint for <c>/metrics</c> and <c>/health</c>. Built
/// from the node's HOCON, which stays the documented tuning surface; the persistence connection (where sharding
/// remembers its groups) is derived from the master database URL, so an operator configures that database once.
/// </summary>
public sealed class NodeHost : IAsyncDisposable
{
    private readonly WebApplication _web;

    private NodeHost(WebApplication web, ActorSystem system, IActorRef groups, string http)
    {
        _web = web;
        System = system;
        Groups = groups;
        Http = http;
    }

    public ActorSystem System { get; }

    /// <summary>The shard region: send any <see cref="IGroupMessage"/> here.</summary>
    public IActorRef Groups { get; }

    /// <summary>Where <c>/metrics</c> and <c>/health</c> answer (host:port).</summary>
    public string Http { get; }

    /// <summary>Creates the master's tables when missing, then starts the actor system, joins the cluster and serves HTTP.</summary>
    public static async Task<NodeHost> StartAsync(NodeSettings settings, Config config)
    {
        await using (var master = new MasterDatabase(settings.Location.MasterDbUrl, settings.Location.Storage, settings.Location.LocDbTable))
        {
            await master.CreateSchemaAsync();
            await master.CreateAkkaPersistenceSchemaAsync();
        }

        var http = settings.Http.Port == 0 ? new IPEndPoint(settings.Http.Address, FreePort(settings.Http.Address)) : settings.Http;
        var advertised = $"{Advertised(http, config)}:{http.Port}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(http);
            kestrel.AddServerHeader = false;
        });
        builder.Services.AddHealthChecks()
            .AddCheck<NodeHealth.Live>("actor-system", tags: [NodeHealth.LiveTag])
            .AddCheck<NodeHealth.Ready>("cluster-member", tags: [NodeHealth.ReadyTag]);
        builder.Services.AddAkka(ClusterConstants.SystemName, akka => akka
            .AddHocon(WithRuntime(config, settings.Location.MasterDbUrl, advertised), HoconAddMode.Prepend)
            .AddHocon(ClusterSharding.DefaultConfig()
                .WithFallback(DistributedData.DefaultConfig())
                .WithFallback(ClusterSingleton.DefaultConfig())
                .WithFallback(ClusterClientReceptionist.DefaultConfig())
                .WithFallback(DistributedPubSub.DefaultConfig())
                .WithFallback(SqlPersistence.DefaultConfiguration), HoconAddMode.Append)
            .WithLocationGroups(settings.Groups)
            .WithClusterConfig(settings.ClusterConfig)
            .WithGroupsGateway(settings.Location.Domains, settings.Location.Registrar,
                new MemberReading(settings.Location.MembersPerGroup, settings.Location.Storage.Times.Zone.Id)));
        var web = builder.Build();
        web.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = check => check.Tags.Contains(NodeHealth.LiveTag) });
        web.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(NodeHealth.ReadyTag) });
        web.MapMetrics("/metrics");
        await web.StartAsync();

        var system = web.Services.GetRequiredService<ActorSystem>();
        var groups = await ActorRegistry.For(system).GetAsync<LocationGroup>();
        return new NodeHost(web, system, groups, advertised);
    }

    /// <summary>Completes once the host was asked to stop (<see cref="RequestStop"/>) and has stopped.</summary>
    public Task WaitForShutdownAsync() => _web.WaitForShutdownAsync();

    /// <summary>Stops the host: the node leaves the cluster (its groups hand over), then HTTP stops.</summary>
    public void RequestStop() => _web.Lifetime.StopApplication();

    /// <summary>Leaves the cluster (groups hand over) and stops serving HTTP.</summary>
    public async ValueTask DisposeAsync()
    {
        await _web.StopAsync();
        await _web.DisposeAsync();
    }

    /// <summary>
    /// The node's own HOCON, with what is known only at start: the journal and snapshot store in the master database,
    /// and the role that names where its HTTP endpoint is.
    /// </summary>
    private static Config WithRuntime(Config config, DatabaseUrl master, string http)
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
        var roles = config.GetStringList("akka.cluster.roles", []).Where(r => !r.StartsWith(NodeJson.HttpRolePrefix, StringComparison.Ordinal))
            .Append(NodeJson.HttpRolePrefix + http).ToList();
        var overrides = new Dictionary<string, object>
        {
            ["akka"] = new Dictionary<string, object>
            {
                ["persistence"] = new Dictionary<string, object>
                {
                    ["journal"] = new Dictionary<string, object> { ["sql"] = plugin },
                    ["snapshot-store"] = new Dictionary<string, object> { ["sql"] = plugin },
                },
                ["cluster"] = new Dictionary<string, object> { ["roles"] = roles },
            },
        };
        return ConfigurationFactory.FromObject(overrides).WithFallback(config);
    }

    /// <summary>The host others reach the HTTP endpoint at: its address, or the node's public host name when it listens on any.</summary>
    private static string Advertised(IPEndPoint http, Config config)
    {
        if (!http.Address.Equals(IPAddress.Any) && !http.Address.Equals(IPAddress.IPv6Any))
            return http.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{http.Address}]" : http.Address.ToString();
        var remoting = config.GetConfig("akka.remote.dot-netty.tcp");
        var host = remoting?.GetString("public-hostname", "") is { Length: > 0 } publicHost ? publicHost : remoting?.GetString("hostname", "") ?? "";
        return host.Length > 0 ? host : Dns.GetHostName();
    }

    /// <summary>A port free now on that address (port 0 configured): taken before the actor system starts, so its role can name it.</summary>
    private static int FreePort(IPAddress address)
    {
        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
