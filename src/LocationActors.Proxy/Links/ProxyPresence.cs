using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Event;
using Akka.Hosting;
using LocationActors.Cluster.ProxyLinks;
using LocationActors.Proxy.Sip;

namespace LocationActors.Proxy.Links;

/// <summary>
/// The proxy's side of what nodes send it unasked. It announces the proxy to every node's
/// <see cref="Cluster.ProxyLinks.ProxyLinks"/> every few seconds (and at once when the change feed gets its first
/// reader or loses its last), pings the contacts a group hands it through the <see cref="KeepalivePinger"/> and
/// answers the group, and passes the changes the nodes send to the <see cref="ChangeFeed"/>.
/// </summary>
public sealed class ProxyPresence : ReceiveActor, IWithTimers
{
    private readonly IActorRef _client;
    private readonly KeepalivePinger _pinger;
    private readonly ChangeFeed _feed;
    private readonly string _path;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Action _demandChanged;

    public ProxyPresence(IActorRef client, KeepalivePinger pinger, ChangeFeed feed)
    {
        _client = client;
        _pinger = pinger;
        _feed = feed;
        _path = Self.Path.ToStringWithAddress(((ExtendedActorSystem)Context.System).Provider.DefaultAddress);
        var self = Self;
        _demandChanged = () => self.Tell(Announce.Instance);

        Receive<Announce>(_ => _client.Tell(new ClusterClient.SendToAll(ProxyLinks.Path, new ProxyAnnounce(_path, _pinger.Sockets, _feed.HasReaders))));
        Receive<ProxyLinked>(linked => _feed.NodeLinked(linked.Node, linked.SendsChanges));
        Receive<PingContacts>(ping =>
        {
            if (!_pinger.CanPing)
            {
                Sender.Tell(new PingsNotSent(ping.Batch, ping.Targets.Select(t => t.Ruid).ToList()));
                return;
            }

            _pinger.PingAsync(ping).PipeTo(Sender, failure: e =>
            {
                _log.Warning("keepalive: pinging {0} contacts failed: {1}", ping.Targets.Count, e.Message);
                return new PingsNotSent(ping.Batch, ping.Targets.Select(t => t.Ruid).ToList());
            });
        });
        Receive<ContactChanges>(changes => _feed.Publish(changes.Changes));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef client, KeepalivePinger pinger, ChangeFeed feed) =>
        Akka.Actor.Props.Create(() => new ProxyPresence(client, pinger, feed));

    protected override void PreStart()
    {
        _feed.DemandChanged += _demandChanged;
        Timers.StartPeriodicTimer("announce", Announce.Instance, TimeSpan.FromMilliseconds(200), ProxyLinks.AnnounceInterval);
    }

    protected override void PostStop() => _feed.DemandChanged -= _demandChanged;

    private sealed class Announce
    {
        public static readonly Announce Instance = new();
    }
}

/// <summary>The presence's registration (Akka.Hosting), beside it.</summary>
public static class ProxyPresenceHosting
{
    /// <summary>
    /// The <see cref="ProxyPresence"/>, on the cluster client registered by <see cref="Client.LocationProxyHosting.WithLocationProxy"/>,
    /// with the proxy's <see cref="KeepalivePinger"/> and <see cref="ChangeFeed"/> from its services.
    /// </summary>
    public static AkkaConfigurationBuilder WithProxyPresence(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var presence = system.ActorOf(ProxyPresence.Props(registry.Get<ClusterClient>(), resolver.GetService<KeepalivePinger>(),
                resolver.GetService<ChangeFeed>()), "presence");
            registry.Register<ProxyPresence>(presence);
        });
}
