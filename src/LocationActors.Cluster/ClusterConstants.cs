namespace LocationActors.Cluster;

/// <summary>Names the cluster's parts once: every node and proxy must agree on them.</summary>
public static class ClusterConstants
{
    /// <summary>The actor system's name, part of every node address (<c>akka.tcp://location@host:port</c>).</summary>
    public const string SystemName = "location";

    /// <summary>Nodes with this role host location groups and the locdb mirror.</summary>
    public const string LocationRole = "location";

    /// <summary>
    /// The shard type of the location groups, one group per shard. (Before groups had shards of their own, the type was
    /// <c>location-group</c>, with groups hashed into 100 shards: sharding remembers shards per type, so the new name
    /// keeps a remembered old shard from starting a group a second time. Nodes of both kinds must not run together.)
    /// </summary>
    public const string GroupShardTypeName = "location-groups";

    /// <summary>The singleton manager of the locdb mirror (under /user).</summary>
    public const string ClusterConfigName = "cluster-config";
}
