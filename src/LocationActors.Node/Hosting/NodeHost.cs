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
using LocationActors.Cluster;
using LocationActors.Cluster.ClusterConfig;
using LocationActors.Cluster.Gateway;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Cluster.ProxyLinks;
using LocationActors.Contracts.Http;
using LocationActors.Node.Configuration;
using LocationActors.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Prometheus;

namespace LocationActors.Node.Hosting;

/// <summary>
/// A running cluster node: its actor system (location groups, the <c>locdb</c> mirror, the proxies' gateway, each
/// wired by the registration beside its actor) and its HTTP endpoint for <c>/metrics</c> and <c>/health</c>. Built
/// from the node's HOCON, which stays the documented tuning surface. Nothing of the node's start or of a group's
/// failover needs the master database to be up: the layout comes from the cluster while it is down.
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

    /// <summary>
    /// Creates locdb when missing (when the master answers), then starts the actor system, joins the cluster and
    /// serves HTTP. A master that does not answer does not stop the node: it joins a cluster that has the layout
    /// (or waits for the master, as the first node of a new cluster must).
    /// </summary>
    public static async Task<NodeHost> StartAsync(NodeSettings settings, Config config)
    {
        await CreateLocDbAsync(settings.Location, config);

        var http = settings.Http.Port == 0 ? new IPEndPoint(settings.Http.Address, FreePort(settings.Http.Address)) : settings.Http;
        var advertised = $"{Advertised(http, config)}:{http.Port}";
        var feed = new ChangeFeedDemand();
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
            .AddHocon(WithRuntime(config, advertised), HoconAddMode.Prepend)
            .AddHocon(ClusterSharding.DefaultConfig()
                .WithFallback(DistributedData.DefaultConfig())
                .WithFallback(ClusterSingleton.DefaultConfig())
                .WithFallback(ClusterClientReceptionist.DefaultConfig())
                .WithFallback(DistributedPubSub.DefaultConfig()), HoconAddMode.Append)
            .WithProxyLinks(feed)
            .WithLocationGroups(settings.Groups, feed)
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

    /// <summary>The node's own HOCON, with what is known only at start: the role that names where its HTTP endpoint is.</summary>
    private static Config WithRuntime(Config config, string http)
    {
        var roles = config.GetStringList("akka.cluster.roles", []).Where(r => !r.StartsWith(NodeJson.HttpRolePrefix, StringComparison.Ordinal))
            .Append(NodeJson.HttpRolePrefix + http).ToList();
        var overrides = new Dictionary<string, object>
        {
            ["akka"] = new Dictionary<string, object> { ["cluster"] = new Dictionary<string, object> { ["roles"] = roles } },
        };
        return ConfigurationFactory.FromObject(overrides).WithFallback(config);
    }

    /// <summary>
    /// locdb's table when missing. The master may be down while the node starts (a replaced node during an outage):
    /// that is logged, not fatal, as nothing else at start needs it; the table then exists already, or the first node
    /// to reach the master creates it.
    /// </summary>
    private static async Task CreateLocDbAsync(LocationSettings location, Config config)
    {
        try
        {
            await using var master = new MasterDatabase(location.MasterDbUrl, location.Storage, location.LocDbTable);
            await master.CreateSchemaAsync();
        }
        catch (StorageException e) when (e.Kind is StorageErrorKind.Connection or StorageErrorKind.Timeout)
        {
            Console.Error.WriteLine($"node: the master database does not answer ({e.Message}); starting without it: the layout comes " +
                                    "from the cluster (or from locdb once the master answers)");
        }
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
