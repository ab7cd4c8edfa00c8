namespace LocationActors.Cluster;

/// <summary>Names the cluster's parts once: every node and proxy must agree on them.</summary>
public static class ClusterConstants
{
    /// <summary>The actor system's name, part of every node address (<c>akka.tcp://location@host:port</c>).</summary>
    public const string SystemName = "location";

    /// <summary>Nodes with this role host location groups and the locdb mirror.</summary>
    public const string LocationRole = "location";

    /// <summary>The shard type of the location groups.</summary>
    public const string GroupShardTypeName = "location-group";

    /// <summary>The singleton manager of the locdb mirror (under /user).</summary>
    public const string ClusterConfigName = "cluster-config";

    /// <summary>
    /// Shards of the location groups: about ten per node of a large cluster, so groups spread evenly and a failed
    /// node's groups move to many survivors at once. Must never change while the cluster runs (it remembers shards).
    /// </summary>
    public const int NumberOfShards = 100;
}
