using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Configuration;
using LocationActors.Proxy.Configuration;
using LocationActors.Proxy.Service;

namespace LocationActors.Proxy.Client;

/// <summary>
/// The proxy's side of the connection to the cluster: an actor system that is not a cluster member, its cluster
/// client, the <see cref="LocationProxy"/> every request goes through, the <see cref="ClusterMonitor"/> and the
/// location service on top. The proxy process serves it over HTTP (and SIP); load drivers use it directly.
/// </summary>
public sealed class ClusterConnection
{
    private ClusterConnection(ActorSystem system, IActorRef clusterClient, IActorRef proxy, ClusterViewSource view, ILocationService service)
    {
        System = system;
        ClusterClient = clusterClient;
        Proxy = proxy;
        View = view;
        Service = service;
    }

    public ActorSystem System { get; }

    /// <summary>The cluster client itself (a benchmark compares asking it directly with going through the proxy).</summary>
    public IActorRef ClusterClient { get; }

    public IActorRef Proxy { get; }

    public ClusterViewSource View { get; }

    public ILocationService Service { get; }

    public static ClusterConnection Start(ProxySettings settings, Config config)
    {
        // The pub-sub defaults bind the serializer of the cluster client's Send envelope.
        var system = ActorSystem.Create("proxy", config.WithFallback(ClusterClientReceptionist.DefaultConfig()).WithFallback(DistributedPubSub.DefaultConfig()));
        var client = system.ActorOf(Akka.Cluster.Tools.Client.ClusterClient.Props(ClusterClientSettings.Create(system)
            .WithInitialContacts(settings.Cluster.ContactPoints.ToImmutableHashSet())), "cluster-client");
        var proxy = system.ActorOf(LocationProxy.Props(client, settings.Cluster), "location-proxy");
        var view = new ClusterViewSource();
        // The view must stay current while a group fails over: a status read gives up long before the request timeout,
        // which is sized for callers who would rather wait out a failover than fail.
        var readTimeout = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(3).Ticks, 2 * settings.Cluster.RefreshInterval.Ticks));
        system.ActorOf(ClusterMonitor.Props(proxy, view, settings.Cluster.RefreshInterval, readTimeout), "cluster-monitor");
        return new ClusterConnection(system, client, proxy, view, new LocationService(proxy, view, settings.Cluster.RequestTimeout));
    }
}
