using Akka.Cluster.Tools.Client;
using Akka.Hosting;

namespace LocationActors.Cluster.ProxyLinks;

/// <summary>How a node links to proxies (Akka.Hosting), next to the actor it starts.</summary>
public static class ProxyLinksHosting
{
    /// <summary>
    /// The <see cref="ProxyLinks"/> actor, registered with the cluster client receptionist so that proxies can announce
    /// themselves to it, and as <see cref="ProxyLinks"/>; <paramref name="demand"/> tells the node's groups whether to
    /// build changes for the feed.
    /// </summary>
    public static AkkaConfigurationBuilder WithProxyLinks(this AkkaConfigurationBuilder builder, ChangeFeedDemand demand) =>
        builder.WithActors((system, registry) =>
        {
            var links = system.ActorOf(ProxyLinks.Props(demand), ProxyLinks.Name);
            ClusterClientReceptionist.Get(system).RegisterService(links);
            registry.Register<ProxyLinks>(links);
        });
}
