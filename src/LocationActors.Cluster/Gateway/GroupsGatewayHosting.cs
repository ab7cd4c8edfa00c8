using Akka.Cluster.Tools.Client;
using Akka.Hosting;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;

namespace LocationActors.Cluster.Gateway;

/// <summary>How a node lets proxies in (Akka.Hosting), next to the actor it starts.</summary>
public static class GroupsGatewayHosting
{
    /// <summary>
    /// The <see cref="GroupsGateway"/>, registered with the cluster client receptionist: proxies are not cluster
    /// members and reach the groups (and the <c>locdb</c> mirror) through it. Registered as <see cref="GroupsGateway"/>.
    /// </summary>
    public static AkkaConfigurationBuilder WithGroupsGateway(this AkkaConfigurationBuilder builder, IReadOnlyList<UsrlocDomain> domains,
        RegistrarOptions registrar, MemberReading? reading = null) =>
        builder.WithActors((system, registry) =>
        {
            var gateway = system.ActorOf(
                GroupsGateway.Props(registry.Get<LocationGroup>(), domains, registry.Get<ClusterConfig.ClusterConfig>(), registrar, reading),
                GroupsGateway.Name);
            ClusterClientReceptionist.Get(system).RegisterService(gateway);
            registry.Register<GroupsGateway>(gateway);
        });
}
