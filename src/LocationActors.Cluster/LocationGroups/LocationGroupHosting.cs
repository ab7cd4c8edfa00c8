using Akka.Cluster.Hosting;
using Akka.Hosting;
using LocationActors.Domain.Contacts;

namespace LocationActors.Cluster.LocationGroups;

/// <summary>How a node hosts its location groups (Akka.Hosting), next to the actor it starts.</summary>
public static class LocationGroupHosting
{
    /// <summary>
    /// The sharded <see cref="LocationGroup"/> entities, one per usrloc table and group id (<see cref="GroupMessageExtractor"/>),
    /// on the nodes with the location role; the shard region is registered as <see cref="LocationGroup"/>. Sharding's
    /// tuning (remember-entities, its store) stays in <c>hocon/node.hocon</c>. A group asks the <c>locdb</c> mirror,
    /// registered by <see cref="ClusterConfig.ClusterConfigHosting.WithClusterConfig"/>, for its layout, and sends its
    /// keepalive pings and changes to the <see cref="ProxyLinks.ProxyLinks"/> registered by
    /// <see cref="ProxyLinks.ProxyLinksHosting.WithProxyLinks"/>, when there is one; <paramref name="feed"/> is the demand it shares.
    /// </summary>
    public static AkkaConfigurationBuilder WithLocationGroups(this AkkaConfigurationBuilder builder, LocationGroupSettings settings,
        ProxyLinks.ChangeFeedDemand? feed = null)
    {
        var ruids = new RuidGenerator(); // one per node: ruids stay unique across the groups it hosts
        return builder.WithShardRegion<LocationGroup>(ClusterConstants.GroupShardTypeName,
            (_, registry, _) => entityId =>
            {
                var (table, groupId) = GroupMessageExtractor.Parse(entityId);
                var links = registry.TryGet<ProxyLinks.ProxyLinks>(out var found) ? found : null;
                return LocationGroup.Props(groupId, settings with { Table = table }, registry.Get<ClusterConfig.ClusterConfig>(), ruids, links: links, feed: feed);
            },
            new GroupMessageExtractor(),
            new ShardOptions { Role = ClusterConstants.LocationRole });
    }
}
