using System.Collections.Immutable;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Hosting;
using LocationActors.Proxy.Configuration;

namespace LocationActors.Proxy.Client;

/// <summary>How a proxy (or a load driver) connects to the location cluster (Akka.Hosting), next to the actors it starts.</summary>
public static class LocationProxyHosting
{
    /// <summary>
    /// The proxy's side of the connection: an actor system that is not a cluster member, its cluster client (registered
    /// as <see cref="ClusterClient"/>), the <see cref="LocationProxy"/> every request goes through (registered as
    /// <see cref="LocationProxy"/>) and the <see cref="ClusterMonitor"/> that keeps <paramref name="view"/> current.
    /// </summary>
    public static AkkaConfigurationBuilder WithLocationProxy(this AkkaConfigurationBuilder builder, ClusterClientOptions options, ClusterViewSource view) =>
        builder
            // The pub-sub defaults bind the serializer of the cluster client's Send envelope.
            .AddHocon(ClusterClientReceptionist.DefaultConfig().WithFallback(DistributedPubSub.DefaultConfig()), HoconAddMode.Append)
            .WithActors((system, registry) =>
            {
                var client = system.ActorOf(ClusterClient.Props(ClusterClientSettings.Create(system)
                    .WithInitialContacts(options.ContactPoints.ToImmutableHashSet())), "cluster-client");
                registry.Register<ClusterClient>(client);
                var proxy = system.ActorOf(LocationProxy.Props(client, options), "location-proxy");
                registry.Register<LocationProxy>(proxy);
                // The view must stay current while a group fails over: a status read gives up long before the request
                // timeout, which is sized for callers who would rather wait out a failover than fail.
                var readTimeout = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(3).Ticks, 2 * options.RefreshInterval.Ticks));
                system.ActorOf(ClusterMonitor.Props(proxy, view, options.RefreshInterval, readTimeout), "cluster-monitor");
            });
}
