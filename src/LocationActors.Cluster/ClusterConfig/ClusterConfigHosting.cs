using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.DistributedData;
using Akka.Hosting;
using LocationActors.Cluster.LocationGroups;

namespace LocationActors.Cluster.ClusterConfig;

/// <summary>How a node runs the <c>locdb</c> mirror (Akka.Hosting), next to the actor it starts.</summary>
public static class ClusterConfigHosting
{
    /// <summary>
    /// The <see cref="ClusterConfig"/> mirror, once in the cluster (a singleton on the location nodes), pushing layouts
    /// to the groups' shard region (registered before it by <see cref="LocationGroupHosting.WithLocationGroups"/>) and
    /// keeping the last good layout in distributed data. Its proxy is registered as <see cref="ClusterConfig"/>: that
    /// is where groups and the gateway ask.
    /// </summary>
    public static AkkaConfigurationBuilder WithClusterConfig(this AkkaConfigurationBuilder builder, ClusterConfigSettings settings) =>
        builder.WithSingleton<ClusterConfig>(ClusterConstants.ClusterConfigName,
            (system, registry, _) => ClusterConfig.Props(settings, registry.Get<LocationGroup>(), DistributedData.Get(system).Replicator),
            new ClusterSingletonOptions { Role = ClusterConstants.LocationRole, TerminationMessage = PoisonPill.Instance });
}
