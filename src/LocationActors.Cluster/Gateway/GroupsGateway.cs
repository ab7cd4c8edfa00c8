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

    public GroupsGateway(IActorRef groups, IReadOnlyCollection<string> tables)
    {
        // An unknown table would start a group that can never serve: refuse it here, with the reason.
        Receive<IWithGroupId>(message => !tables.Contains(message.Table), message =>
            Sender.Tell(new RequestRejected(message.RequestId, $"unknown usrloc domain '{message.Table}'; known: {string.Join(", ", tables)}")));
        Receive<IGroupMessage>(message => groups.Forward(message));
    }

    public static Props Props(IActorRef groups, IReadOnlyCollection<string> tables) =>
        Akka.Actor.Props.Create(() => new GroupsGateway(groups, tables));
}
