using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Event;
using LocationActors.Cluster;
using LocationActors.Cluster.Gateway;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Proxy.Configuration;
using LocationActors.Proxy.Metrics;

namespace LocationActors.Proxy.Client;

/// <summary>
/// The proxy's one long-lived sender towards the cluster. Callers ask it (<see cref="SendToCluster"/>); it gives each
/// request an id, sends it through the cluster client to the gateway on a node, and matches the reply by that id.
/// One sender matters: the receptionist builds a response tunnel per distinct sender, so an Ask straight through the
/// cluster client (a new temporary sender each time) is 3-4 times slower (akka-notes §3).
/// Every request is safe to repeat, so one that gets no answer within the attempt timeout is sent again (sharding may
/// drop messages while a group moves), after waits that double up to <see cref="MaxAttemptBackoff"/> attempt timeouts;
/// one its caller abandoned (answered elsewhere) is dropped instead. When the request timeout passes, or too many
/// requests are in flight, the caller hears <see cref="ClusterUnavailable"/> — it never waits without bound.
/// A group's request goes first to the node hosting the group, through a cluster client of that node's own (a child
/// of this actor): the contact points' receptionist would forward it to that node and relay the answer back, two more
/// remoting hops and most of a lookup's latency. Repeated attempts go through the contact points' client, which
/// reaches the group wherever it moved. A node whose own client let an attempt go unanswered, with no other direct
/// attempt answered since it was sent, is not routed to for a while: it may be dead, or its address may not be
/// reachable from this proxy (then every first attempt would be lost and every request would wait out an attempt
/// timeout). One slow answer (a write waiting for a failing member) says nothing of the kind while others arrive.
/// </summary>
public sealed class LocationProxy : ReceiveActor, IWithTimers
{
    /// <summary>How often deadlines are checked; the granularity of the timeouts.</summary>
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a node that left a direct attempt unanswered gets no direct requests.</summary>
    private static readonly TimeSpan SuspectFor = TimeSpan.FromSeconds(30);

    /// <summary>A group that is loading its contacts asks to be tried again shortly.</summary>
    private static readonly TimeSpan BusyRetry = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The wait between copies of an unanswered request doubles from the attempt timeout up to this many attempt
    /// timeouts (RFC 3261's T1 to T2). A copy only helps when one was lost (sent to a node that died); while a group
    /// moves, every copy sent waits in the shard region's buffer and reaches the group's new home, which must then work
    /// through them all: at one copy per second per waiting request, a node downed in 15 s under 350 requests/s piled
    /// up some 40,000 of them (bench/failover.sh).
    /// </summary>
    private const int MaxAttemptBackoff = 4;

    private readonly IActorRef _client;
    private readonly ClusterClientOptions _options;
    private readonly Dictionary<string, IActorRef> _nodeClients = new();
    private readonly Dictionary<string, TimeSpan> _suspectUntil = new();
    private readonly Dictionary<string, TimeSpan> _lastDirectAnswer = new();
    private IReadOnlyDictionary<(string Table, int GroupId), string> _placement = new Dictionary<(string, int), string>();
    private int _nodeClientCount;
    private readonly Dictionary<long, Pending> _pending = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _nextId;
    private bool _unreachableLogged;

    public LocationProxy(IActorRef client, ClusterClientOptions options)
    {
        _client = client;
        _options = options;

        Receive<SendToCluster>(send =>
        {
            if (_pending.Count >= _options.MaxInFlight)
            {
                Sender.Tell(new ClusterUnavailable($"{_options.MaxInFlight} requests are already waiting for the cluster; retry shortly"));
                return;
            }

            var id = ++_nextId;
            object message;
            try
            {
                message = Stamp(send.Request, id);
            }
            catch (ArgumentException e)
            {
                Sender.Tell(new Status.Failure(e));
                return;
            }

            var now = _clock.Elapsed;
            var pending = new Pending(Sender, message, now + _options.AttemptTimeout, now + _options.RequestTimeout, send.Abandoned);
            _pending[id] = pending;
            pending.DirectNode = Send(message, DirectNodeOf(message, now));
        });
        Receive<ILocationGroupReply>(reply =>
        {
            if (!_pending.TryGetValue(reply.RequestId, out var pending))
                return; // the answer to an attempt that was already answered, or given up on
            if (pending.DirectNode is { } node)
                _lastDirectAnswer[node] = _clock.Elapsed;
            pending.DirectNode = null;
            if (reply is GroupBusy)
            {
                pending.AttemptDue = _clock.Elapsed + BusyRetry;
                return;
            }

            _pending.Remove(reply.RequestId);
            pending.ReplyTo.Tell(reply);
            _unreachableLogged = false;
        });
        Receive<Sweep>(_ => CheckDeadlines());
        Receive<GroupsPlaced>(placed =>
        {
            if (_options.RouteToGroupNode)
                Place(placed);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef client, ClusterClientOptions options) => Akka.Actor.Props.Create(() => new LocationProxy(client, options));

    protected override void PreStart() => Timers.StartPeriodicTimer("sweep", Sweep.Instance, SweepInterval);

    /// <summary>Sends one attempt straight to <paramref name="node"/>'s client, or through the contact points when null; returns the node.</summary>
    private string? Send(object message, string? node = null)
    {
        var send = new ClusterClient.Send(GroupsGateway.Path, message, localAffinity: true);
        if (node is null)
        {
            _client.Tell(send);
            ProxyMetrics.AttemptThroughContactPoints();
        }
        else
        {
            _nodeClients[node].Tell(send);
            ProxyMetrics.AttemptToGroupNode(node);
        }

        return node;
    }

    /// <summary>The node a request goes to directly: its group's, when that node has a client and is not suspected.</summary>
    private string? DirectNodeOf(object message, TimeSpan now) =>
        message is IWithGroupId request && _placement.TryGetValue((request.Table, request.GroupId), out var node) &&
        _nodeClients.ContainsKey(node) && !(_suspectUntil.TryGetValue(node, out var until) && until > now)
            ? node
            : null;

    /// <summary>
    /// Keeps a cluster client whose only contact is the node for every node that hosts a placed group, starting the
    /// clients of new nodes and stopping those of nodes that host no group any more. Such a client reconnects to another
    /// receptionist if its node dies; a request it takes there still reaches the group, one forward further.
    /// </summary>
    private void Place(GroupsPlaced placed)
    {
        foreach (var node in placed.Nodes.Values.Distinct().Where(n => !_nodeClients.ContainsKey(n)))
        {
            if (!ActorPath.TryParse($"{node}/system/receptionist", out var receptionist))
            {
                _log.Warning("group placement names '{0}', which is not a node address; its groups go through the contact points", node);
                continue;
            }

            var settings = ClusterClientSettings.Create(Context.System).WithInitialContacts([receptionist]);
            _nodeClients[node] = Context.ActorOf(ClusterClient.Props(settings), $"node-client-{++_nodeClientCount}");
            _log.Info("routing groups of node {0} to it directly", node);
        }

        foreach (var (node, client) in _nodeClients.Where(c => !placed.Nodes.Values.Contains(c.Key)).ToList())
        {
            Context.Stop(client);
            _nodeClients.Remove(node);
            _lastDirectAnswer.Remove(node);
            _suspectUntil.Remove(node);
        }

        _placement = placed.Nodes;
    }

    /// <summary>A direct attempt to <paramref name="node"/> went unanswered: its groups go through the contact points for a while.</summary>
    private void Suspect(string node, TimeSpan now)
    {
        if (!(_suspectUntil.TryGetValue(node, out var until) && until > now))
            _log.Warning("node {0} left a request unanswered through its own cluster client; its groups go through the contact points " +
                         "for {1} s (a node that died, or an address this proxy cannot reach: then set route-to-group-node = off)", node, SuspectFor.TotalSeconds);
        _suspectUntil[node] = now + SuspectFor;
    }

    private void CheckDeadlines()
    {
        var now = _clock.Elapsed;
        List<long>? expired = null;
        List<long>? abandoned = null;
        foreach (var (id, pending) in _pending)
        {
            if (now < pending.AttemptDue)
                continue;
            if (pending.Abandoned.IsCancellationRequested)
            {
                (abandoned ??= []).Add(id);
                continue;
            }

            if (now >= pending.Deadline)
            {
                (expired ??= []).Add(id);
                continue;
            }

            // Sent one attempt timeout ago; suspected only if nothing came back directly from that node since.
            if (pending.DirectNode is { } node && _lastDirectAnswer.GetValueOrDefault(node, TimeSpan.MinValue) < pending.AttemptDue - _options.AttemptTimeout)
                Suspect(node, now);
            pending.DirectNode = null;
            pending.Backoff = Math.Min(pending.Backoff * 2, MaxAttemptBackoff);
            pending.AttemptDue = now + _options.AttemptTimeout * pending.Backoff;
            // The first attempt may have been applied and only its answer lost: the copy says it is one.
            pending.Message = ((IClusterRequest)pending.Message).AsRepeat();
            Send(pending.Message);
        }

        foreach (var id in abandoned ?? [])
            _pending.Remove(id);
        if (expired is null)
            return;
        if (!_unreachableLogged)
            _log.Warning("{0} request(s) got no answer from the cluster within {1}; callers are told it is unavailable", expired.Count, _options.RequestTimeout);
        _unreachableLogged = true;
        foreach (var id in expired)
        {
            _pending.Remove(id, out var pending);
            pending!.ReplyTo.Tell(new ClusterUnavailable($"the location cluster did not answer within {_options.RequestTimeout.TotalSeconds:0.#} s"));
        }
    }

    /// <summary>The request with the proxy's id in place of the caller's.</summary>
    private static object Stamp(object request, long id) => request is IClusterRequest clusterRequest
        ? clusterRequest.WithRequestId(id)
        : throw new ArgumentException($"{request.GetType().Name} is not a request the location cluster answers", nameof(request));

    /// <summary>A request waiting for its answer: when to send it again, and when to give up.</summary>
    private sealed class Pending(IActorRef replyTo, object message, TimeSpan attemptDue, TimeSpan deadline, CancellationToken abandoned)
    {
        public IActorRef ReplyTo { get; } = replyTo;

        public object Message { get; set; } = message;

        public TimeSpan AttemptDue { get; set; } = attemptDue;

        public TimeSpan Deadline { get; } = deadline;

        /// <summary>Cancelled when the caller no longer wants the answer.</summary>
        public CancellationToken Abandoned { get; } = abandoned;

        /// <summary>The wait before the next copy, in attempt timeouts.</summary>
        public int Backoff { get; set; } = 1;

        /// <summary>The node the pending attempt went to directly; null when it went through the contact points.</summary>
        public string? DirectNode { get; set; }
    }

    private sealed class Sweep
    {
        public static readonly Sweep Instance = new();
    }
}
