using Akka.Actor;
using Akka.Event;
using LocationActors.Cluster.Gateway;
using LocationActors.Cluster.LocationGroups;

namespace LocationActors.Proxy.Client;

/// <summary>
/// Reads the cluster's state through the <see cref="LocationProxy"/> every refresh interval — the gateway's view
/// of domains, AOR rules, nodes and locdb, then every group's status — and publishes it as a <see cref="ClusterView"/>.
/// One read at a time; a read that fails keeps the last good state and records why. The groups' nodes go to the
/// proxy as <see cref="GroupsPlaced"/>, so it sends each group's requests to the node hosting it.
/// </summary>
public sealed class ClusterMonitor : ReceiveActor, IWithTimers
{
    private readonly IActorRef _proxy;
    private readonly ClusterViewSource _source;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _timeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _reading;

    public ClusterMonitor(IActorRef proxy, ClusterViewSource source, TimeSpan interval, TimeSpan timeout)
    {
        _proxy = proxy;
        _source = source;
        _interval = interval;
        _timeout = timeout;

        Receive<Refresh>(_ =>
        {
            if (_reading)
                return;
            _reading = true;
            ReadAsync().PipeTo(Self);
        });
        Receive<ClusterView>(view =>
        {
            _reading = false;
            var before = _source.Current;
            // A failed read keeps what was known: routing goes on with the last good layout.
            var published = view.State is null && before.State is not null ? before with { Problem = view.Problem, Groups = view.Groups.Count > 0 ? view.Groups : before.Groups } : view;
            if (before.Unready != published.Unready)
                _log.Info("cluster: {0}", published.Unready ?? "every group serves, placed evenly");
            _source.Publish(published);
            if (view.Groups.Any(g => g.Status is not null))
                _proxy.Tell(new GroupsPlaced(view.Groups.Where(g => g.Status is not null).ToDictionary(g => (g.Table, g.Id), g => g.Status!.Node)));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef proxy, ClusterViewSource source, TimeSpan interval, TimeSpan timeout) =>
        Akka.Actor.Props.Create(() => new ClusterMonitor(proxy, source, interval, timeout));

    protected override void PreStart()
    {
        Self.Tell(Refresh.Instance);
        Timers.StartPeriodicTimer("refresh", Refresh.Instance, _interval);
    }

    private async Task<ClusterView> ReadAsync()
    {
        var now = DateTimeOffset.UtcNow;
        try
        {
            var answer = await _proxy.Ask<object>(new SendToCluster(new GetClusterState(0)), _timeout);
            if (answer is not ClusterState state)
                return new ClusterView(null, [], now, Describe(answer));
            var ids = state.Domains.SelectMany(d => d.Partitioned
                ? Enumerable.Range(1, d.GroupCount).Select(id => (d.Table, Id: id))
                : [(d.Table, Id: UsrlocDomain.SingleGroupId)]);
            var groups = await Task.WhenAll(ids.Select(async g =>
            {
                try
                {
                    var status = await _proxy.Ask<object>(new SendToCluster(new GetGroupStatus(g.Id, 0, g.Table)), _timeout);
                    return status is GroupStatus s ? new GroupView(g.Table, g.Id, s, null) : new GroupView(g.Table, g.Id, null, Describe(status));
                }
                catch (AskTimeoutException)
                {
                    // A group that is moving to another node: shown as not answering, never with its last status.
                    return new GroupView(g.Table, g.Id, null, $"group {g.Id} did not answer within {_timeout.TotalSeconds:0.#} s");
                }
            }));
            return new ClusterView(state, groups, now, null);
        }
        catch (AskTimeoutException)
        {
            return new ClusterView(null, [], now, "the location cluster did not answer");
        }
    }

    private static string Describe(object answer) => answer switch
    {
        ClusterUnavailable u => u.Reason,
        GroupUnavailable u => u.Reason,
        RequestRejected r => r.Reason,
        _ => $"unexpected answer {answer.GetType().Name}",
    };

    private sealed class Refresh
    {
        public static readonly Refresh Instance = new();
    }
}
