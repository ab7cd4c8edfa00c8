using Akka.Actor;
using LocationActors.Cluster.ClusterConfig;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.Storage;

namespace LocationActors.Cluster.Gateway;

/// <summary>
/// The entry point for processes outside the cluster (proxies): registered with the cluster client receptionist,
/// it forwards every group message to the shard region, so the group's reply goes straight back to the asker, and
/// answers the gateway's own requests: the cluster's state, and an operator's <c>locdb</c> changes.
/// </summary>
public sealed class GroupsGateway : ReceiveActor
{
    /// <summary>The path proxies address with <c>ClusterClient.Send</c>.</summary>
    public const string Path = "/user/" + Name;

    public const string Name = "location-groups";

    /// <summary>How long the locdb mirror may take to answer; it answers from memory, so this only covers a moving singleton.</summary>
    private static readonly TimeSpan MirrorTimeout = TimeSpan.FromSeconds(5);

    public GroupsGateway(IActorRef groups, IReadOnlyCollection<UsrlocDomain> domains, IActorRef clusterConfig, RegistrarOptions options,
        MemberReading? reading = null)
    {
        // Outsiders send requests only (never layouts), for a known domain and a group id that can exist in it: a
        // bad id would start, and be remembered as, a group that can never serve.
        Receive<IWithGroupId>(message =>
        {
            var domain = domains.FirstOrDefault(d => d.Table == message.Table);
            string? problem = domain switch
            {
                null => $"unknown usrloc domain '{message.Table}'; known: {string.Join(", ", domains.Select(d => d.Table))}",
                { Kind: DomainKind.Single } when message.GroupId != UsrlocDomain.SingleGroupId =>
                    $"domain {message.Table} is not partitioned: its group is {UsrlocDomain.SingleGroupId}, not {message.GroupId}",
                { Kind: DomainKind.Cluster } when message.GroupId < 1 => $"group ids start at 1, not {message.GroupId}",
                _ => null,
            };
            if (problem is null)
                groups.Forward(message);
            else
                Sender.Tell(new RequestRejected(message.RequestId, problem));
        });

        Receive<GetClusterState>(request =>
        {
            var nodes = Nodes();
            clusterConfig.Ask<LocDbSnapshot>(new GetLocDb(), MirrorTimeout).PipeTo(Sender,
                success: locdb => new ClusterState(request.RequestId, nodes,
                    domains.Select(d => new DomainState(d.Table, d.Kind == DomainKind.Cluster, d.Kind == DomainKind.Cluster ? locdb.GroupCount : 1)).ToList(),
                    options, locdb.Rows.Select(r => r with { Url = DatabaseUrl.Mask(r.Url) }).ToList(), locdb.GroupCount > 0, locdb.MasterDown, reading),
                failure: _ => new GroupUnavailable(request.RequestId, 0, "the locdb mirror does not answer (it may be moving to another node); retry shortly"));
        });

        Receive<ChangeLocDbMember>(request => request.Change is not (MemberChange.Maintenance or MemberChange.Activate),
            request => Sender.Tell(new RequestRejected(request.RequestId, $"{request.Change} is not an operator's change; use Maintenance or Activate")));
        Receive<ChangeLocDbMember>(request =>
            clusterConfig.Ask<MemberChanged>(new ChangeMember(request.GroupId, request.No, request.Change, "asked by an operator"), MirrorTimeout)
                .PipeTo(Sender,
                    success: changed => new LocDbMemberChanged(request.RequestId, request.GroupId, request.No, request.Change, changed.Found),
                    failure: _ => new GroupUnavailable(request.RequestId, request.GroupId,
                        "the change is not confirmed: the master database or the locdb mirror does not answer; it is written when the master is back")));
    }

    public static Props Props(IActorRef groups, IReadOnlyCollection<UsrlocDomain> domains, IActorRef clusterConfig, RegistrarOptions options,
        MemberReading? reading = null) =>
        Akka.Actor.Props.Create(() => new GroupsGateway(groups, domains, clusterConfig, options, reading));

    private static List<ClusterNode> Nodes()
    {
        var state = Akka.Cluster.Cluster.Get(Context.System).State;
        return state.Members.Select(m => new ClusterNode(m.Address.ToString(),
                state.Unreachable.Contains(m) ? "Unreachable" : m.Status.ToString(), m.Roles.Order().ToList()))
            .OrderBy(n => n.Address, StringComparer.Ordinal).ToList();
    }
}
