using Akka.Actor;
using LocationActors.Cluster.LocationGroups;

namespace LocationActors.Cluster.Gateway;

/// <summary>
/// The entry point for processes outside the cluster (proxies): registered with the cluster client receptionist,
/// it forwards every group message to the shard region, so the group's reply goes straight back to the asker.
/// </summary>
public sealed class GroupsGateway : ReceiveActor
{
    /// <summary>The path proxies address with <c>ClusterClient.Send</c>.</summary>
    public const string Path = "/user/" + Name;

    public const string Name = "location-groups";

    public GroupsGateway(IActorRef groups, IReadOnlyCollection<UsrlocDomain> domains)
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
    }

    public static Props Props(IActorRef groups, IReadOnlyCollection<UsrlocDomain> domains) =>
        Akka.Actor.Props.Create(() => new GroupsGateway(groups, domains));
}
