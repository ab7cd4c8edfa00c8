using LocationActors.Cluster.ClusterConfig;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.Domain.LocDb;

namespace LocationActors.Cluster.Gateway;

/// <summary>
/// A request to the gateway itself rather than to one group: what a proxy needs to address groups, and what an
/// operator sees and steers. Replies name <see cref="RequestId"/> like every group reply.
/// </summary>
public interface IGatewayRequest : IClusterRequest;

/// <summary>The cluster as a proxy must know it: the groups of each domain, the AOR rules, the nodes and <c>locdb</c>.</summary>
[ProtocolManifest("get-cluster")]
public sealed record GetClusterState(long RequestId) : IGatewayRequest
{
    public IClusterRequest WithRequestId(long requestId) => this with { RequestId = requestId };
}

/// <summary>A cluster member as the answering node sees it.</summary>
/// <param name="Status">Akka's member status: Joining, Up, Leaving, Exiting, Down, Removed (Unreachable when the node's failure detector says so).</param>
public sealed record ClusterNode(string Address, string Status, IReadOnlyList<string> Roles);

/// <summary>A usrloc domain (table) and its groups: 1..<see cref="GroupCount"/> when partitioned, else the single group 0.</summary>
public sealed record DomainState(string Table, bool Partitioned, int GroupCount);

/// <summary>
/// What a proxy needs to read a member database itself (p_usrloc's read path), when the cluster cannot answer a lookup
/// in time: how many rows of a group are members, and the zone of the DATETIME columns. Credentials are not in it.
/// </summary>
public sealed record MemberReading(int MembersPerGroup, string TimeZone);

/// <summary>The answer to <see cref="GetClusterState"/>.</summary>
/// <param name="Options">The AOR rules the nodes use (use_domain, case_sensitive, realm_prefix): a proxy computes the same group.</param>
/// <param name="Rows">Every <c>locdb</c> row, passwords in URLs masked: they never leave the cluster.</param>
/// <param name="LocDbKnown">False until the cluster has read <c>locdb</c> once (then <see cref="DomainState.GroupCount"/> is 0).</param>
/// <param name="MasterDown">The last read of <c>locdb</c> failed; the rows are the last good ones.</param>
/// <param name="Reading">How the members are read (null from a node that does not say).</param>
[ProtocolManifest("cluster")]
public sealed record ClusterState(long RequestId, IReadOnlyList<ClusterNode> Nodes, IReadOnlyList<DomainState> Domains, RegistrarOptions Options,
    IReadOnlyList<LocDbRow> Rows, bool LocDbKnown, bool MasterDown, MemberReading? Reading = null) : ILocationGroupReply;

/// <summary>An operator's change of a <c>locdb</c> member: only <see cref="MemberChange.Maintenance"/> and <see cref="MemberChange.Activate"/>.</summary>
[ProtocolManifest("change-locdb")]
public sealed record ChangeLocDbMember(long RequestId, int GroupId, int No, MemberChange Change) : IGatewayRequest
{
    public IClusterRequest WithRequestId(long requestId) => this with { RequestId = requestId };
}

/// <summary>The change is written (<see cref="Found"/> false: no such row, or activating a member that is on).</summary>
[ProtocolManifest("locdb-changed")]
public sealed record LocDbMemberChanged(long RequestId, int GroupId, int No, MemberChange Change, bool Found) : ILocationGroupReply;
