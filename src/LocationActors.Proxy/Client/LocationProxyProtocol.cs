using LocationActors.Cluster.Gateway;
using LocationActors.Cluster.LocationGroups;

namespace LocationActors.Proxy.Client;

/// <summary>
/// Ask the <see cref="LocationProxy"/> to get <paramref name="Request"/> answered by the cluster: a group request
/// (<see cref="IWithGroupId"/>) or a gateway request (<see cref="IGatewayRequest"/>). Its <c>RequestId</c> is
/// replaced by the proxy's own. The answer is the cluster's reply (an <see cref="ILocationGroupReply"/>) or
/// <see cref="ClusterUnavailable"/>. Once <paramref name="Abandoned"/> is cancelled (the caller got its answer
/// elsewhere, or went away) the request is sent no more, and dropped.
/// </summary>
public sealed record SendToCluster(object Request, CancellationToken Abandoned = default);

/// <summary>No answer came in time (the cluster is unreachable or slow), or too many requests are in flight.</summary>
public sealed record ClusterUnavailable(string Reason);

/// <summary>
/// Where each group ran at the last status read (sent by the <see cref="ClusterMonitor"/>): the node address of every
/// group that answered, by (table, group id). The <see cref="LocationProxy"/> sends a group's requests to that node.
/// </summary>
public sealed record GroupsPlaced(IReadOnlyDictionary<(string Table, int GroupId), string> Nodes);
