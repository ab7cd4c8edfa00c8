using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.Proxy.Client;
using LocationActors.Proxy.Configuration;
using LocationActors.TestSupport;

namespace LocationActors.Proxy.Tests;

/// <summary>
/// The <see cref="LocationProxy"/>'s direct route to a group's node when that node cannot be reached: a real cluster
/// client towards a loopback port where nothing listens. A probe stands in for the contact points' cluster client,
/// so what goes which way is seen message by message.
/// </summary>
[Trait(Tier.Name, Tier.Process)]
public sealed class LocationProxyRoutingTests() : TestKit(RemoteConfig)
{
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(2);

    private static Config RemoteConfig => ConfigurationFactory.ParseString("""
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            akka.loglevel = INFO
            """).WithFallback(ClusterClientReceptionist.DefaultConfig());

    private static ClusterClientOptions Options => new([ActorPath.Parse("akka.tcp://location@127.0.0.1:1/system/receptionist")],
        AttemptTimeout, TimeSpan.FromSeconds(20), 100, TimeSpan.FromSeconds(2));

    private static SendToCluster Lookup(string user) => new(new LookupContacts(1, 0, Aor.FromColumns(user, null)));

    [Fact]
    public async Task A_node_that_leaves_a_direct_attempt_unanswered_gets_no_direct_requests_for_a_while()
    {
        var contactPoints = CreateTestProbe();
        var proxy = Sys.ActorOf(LocationProxy.Props(contactPoints.Ref, Options));
        var node = $"akka.tcp://location@127.0.0.1:{NodeProcesses.FreePort()}";
        var unreachable = new Dictionary<(string, int), string> { [("location", 1)] = node };
        proxy.Tell(new GroupsPlaced(unreachable));

        // The first attempt goes to the group's node and is lost there; the contact points get the repeat.
        EventFilter.Warning(contains: "left a request unanswered through its own cluster client").ExpectOne(AttemptTimeout * 3, () =>
        {
            proxy.Tell(Lookup("alice"));
            var repeat = (LookupContacts)contactPoints.ExpectMsg<ClusterClient.Send>(AttemptTimeout * 2).Message;
            contactPoints.Reply(new LookupResult(repeat.RequestId, repeat.Aor, []));
        });
        Assert.Equal("alice", ExpectMsg<LookupResult>().Aor.Username);

        // The monitor places the group there again at its next read; the next request still goes through the contact
        // points, and only there: one direct attempt in all, the first request's.
        proxy.Tell(new GroupsPlaced(unreachable));
        proxy.Tell(Lookup("bob"));
        var first = (LookupContacts)contactPoints.ExpectMsg<ClusterClient.Send>(AttemptTimeout * 2).Message;
        Assert.Equal("bob", first.Aor.Username);
        Assert.Equal(1, await DirectAttemptsAsync(node));
    }

    /// <summary>This process's <c>location_proxy_cluster_attempts_total</c> of the direct route to <paramref name="node"/>.</summary>
    private static async Task<double> DirectAttemptsAsync(string node)
    {
        using var stream = new MemoryStream();
        await Prometheus.Metrics.DefaultRegistry.CollectAndExportAsTextAsync(stream);
        var prefix = $"location_proxy_cluster_attempts_total{{route=\"group_node\",node=\"{node}\"}} ";
        var line = System.Text.Encoding.UTF8.GetString(stream.ToArray()).Split('\n').SingleOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
