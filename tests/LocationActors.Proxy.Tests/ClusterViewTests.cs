using LocationActors.Cluster;
using LocationActors.Cluster.Gateway;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.Proxy.Client;
using LocationActors.TestSupport;

namespace LocationActors.Proxy.Tests;

/// <summary>What the proxy's view of the cluster makes of group statuses: serving, and placed for good.</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class ClusterViewTests
{
    private static readonly string[] Nodes = ["akka.tcp://location@10.0.0.1:4053", "akka.tcp://location@10.0.0.2:4053", "akka.tcp://location@10.0.0.3:4053"];

    private static ClusterView View(IEnumerable<string> upNodes, params (int Group, string Node, string State)[] groups)
    {
        var nodes = upNodes.Select(n => new ClusterNode(n, "Up", [ClusterConstants.LocationRole])).ToList();
        var state = new ClusterState(0, nodes, [new DomainState("location", true, groups.Length)], RegistrarOptions.Default, [], LocDbKnown: true, MasterDown: false);
        return new ClusterView(state, groups.Select(g => new GroupView("location", g.Group,
            new GroupStatus(0, g.Group, g.Node, g.State, 0, 0, [1, 2], [], []), null)).ToList(), DateTimeOffset.UtcNow, null);
    }

    [Fact]
    public void Groups_all_on_the_first_node_to_join_are_not_settled_until_sharding_spread_them()
    {
        var crowded = View(Nodes, (1, Nodes[0], "serving"), (2, Nodes[0], "serving"));

        Assert.Null(crowded.NotReady); // every group serves...
        Assert.Contains($"{Nodes[0]} hosts 2", crowded.Unready); // ...but one of them will move
        Assert.Null(View(Nodes, (1, Nodes[0], "serving"), (2, Nodes[1], "loading")).Unready);
    }

    [Fact]
    public void One_group_more_on_a_node_is_settled_and_nodes_that_are_not_up_do_not_count()
    {
        Assert.Null(View(Nodes, (1, Nodes[0], "serving"), (2, Nodes[0], "serving"), (3, Nodes[1], "serving"), (4, Nodes[2], "serving")).Unready);
        Assert.Null(View(Nodes[..1], (1, Nodes[0], "serving"), (2, Nodes[0], "serving")).Unready); // one node: nowhere to move
        Assert.Equal("location group 2 is unavailable", View(Nodes, (1, Nodes[0], "serving"), (2, Nodes[1], "unavailable")).Unready);
    }
}
