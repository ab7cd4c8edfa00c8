using Akka.Actor;
using Akka.Event;

namespace LocationActors.Cluster.ProxyLinks;

/// <summary>
/// A node's side of what it sends to proxies unasked: the keepalive pings of its groups, handed each to the proxy
/// that pings it (<see cref="ProxyLeases{TRef}"/>), and the change feed, gathered from its groups and sent on to every
/// proxy with a reader a few times a second. Proxies make themselves known with <see cref="ProxyAnnounce"/>, through
/// the cluster client receptionist; a proxy that stops announcing is forgotten.
/// </summary>
public sealed class ProxyLinks : ReceiveActor, IWithTimers
{
    /// <summary>The path proxies announce themselves to (<c>ClusterClient.SendToAll</c>).</summary>
    public const string Path = "/user/" + Name;

    public const string Name = "proxy-links";

    /// <summary>How often a proxy announces itself; it is forgotten after three announcements missed.</summary>
    public static readonly TimeSpan AnnounceInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long changes are gathered before they go to the proxies.</summary>
    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Most changes in one message to a proxy: well inside Akka's remote frame (128 kB).</summary>
    private const int MaxChangesPerMessage = 200;

    private readonly ProxyLeases<IActorRef> _proxies = new(AnnounceInterval * 3);
    private readonly ChangeFeedDemand _demand;
    private readonly List<ContactChange> _changes = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _node;

    public ProxyLinks(ChangeFeedDemand demand)
    {
        _demand = demand;
        _node = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.ToString();

        Receive<ProxyAnnounce>(announce =>
        {
            var proxy = ((ExtendedActorSystem)Context.System).Provider.ResolveActorRef(announce.Proxy);
            if (_proxies.Renew(announce.Proxy, proxy, announce.Sockets, announce.WantsChanges, DateTime.UtcNow))
                _log.Info("proxy {0} linked (SIP sockets: {1}; change feed: {2})", announce.Proxy,
                    announce.Sockets.Count == 0 ? "none" : string.Join(", ", announce.Sockets), announce.WantsChanges ? "read" : "not read");
            _demand.Wanted = _proxies.AnyWantsChanges;
            Sender.Tell(new ProxyLinked(_node, announce.WantsChanges));
        });
        Receive<PingContacts>(ping =>
        {
            var assigned = _proxies.Assign(ping.Targets);
            if (assigned.Count == 0)
            {
                Sender.Tell(new PingsNotSent(ping.Batch, ping.Targets.Select(t => t.Ruid).ToList()));
                return;
            }

            // The proxy answers the group directly: the group is the sender.
            foreach (var (proxy, targets) in assigned)
                proxy.Tell(ping with { Targets = targets }, Sender);
        });
        Receive<ContactChanges>(changes =>
        {
            if (!_demand.Wanted)
                return;
            if (_changes.Count == 0)
                Timers.StartSingleTimer("flush", Flush.Instance, FlushInterval); // no timer runs while nothing waits
            _changes.AddRange(changes.Changes);
            if (_changes.Count >= MaxChangesPerMessage)
                SendChanges();
        });
        Receive<Flush>(_ => SendChanges());
        Receive<ExpireLeases>(_ =>
        {
            foreach (var gone in _proxies.Expire(DateTime.UtcNow))
                _log.Info("proxy {0} has not announced itself for {1} s; no longer linked", gone, (AnnounceInterval * 3).TotalSeconds);
            _demand.Wanted = _proxies.AnyWantsChanges;
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ChangeFeedDemand demand) => Akka.Actor.Props.Create(() => new ProxyLinks(demand));

    protected override void PreStart() => Timers.StartPeriodicTimer("leases", ExpireLeases.Instance, AnnounceInterval);

    private void SendChanges()
    {
        Timers.Cancel("flush");
        if (_changes.Count == 0)
            return;
        var readers = _proxies.FeedReaders.ToList();
        foreach (var chunk in _changes.Chunk(MaxChangesPerMessage))
        {
            var message = new ContactChanges(chunk);
            foreach (var reader in readers)
                reader.Tell(message);
        }

        _changes.Clear();
    }

    private sealed class Flush
    {
        public static readonly Flush Instance = new();
    }

    private sealed class ExpireLeases
    {
        public static readonly ExpireLeases Instance = new();
    }
}
