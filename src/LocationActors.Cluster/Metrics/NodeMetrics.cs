using Prometheus;

namespace LocationActors.Cluster.Metrics;

/// <summary>
/// What a node measures about the location groups it hosts and their member databases, published by the node's
/// <c>/metrics</c> in Prometheus' text format (docs/operations.md lists every metric). Actors report through these
/// methods and hold no metric of their own; a group that stops (it moved to another node) takes its gauges with it.
/// </summary>
public static class NodeMetrics
{
    private static readonly string[] GroupLabel = ["group"];
    private static readonly string[] MemberLabels = ["group", "member"];

    private static readonly Gauge Contacts = Prometheus.Metrics.CreateGauge("location_node_group_contacts",
        "Contacts a group hosted on this node holds in memory.", GroupLabel);

    private static readonly Gauge Aors = Prometheus.Metrics.CreateGauge("location_node_group_aors",
        "AORs a group hosted on this node holds in memory.", GroupLabel);

    private static readonly Gauge Stashed = Prometheus.Metrics.CreateGauge("location_node_group_stashed",
        "Requests waiting while the group loads its contacts (beyond stash-limit they are answered busy).", GroupLabel);

    private static readonly Gauge WarmUpSeconds = Prometheus.Metrics.CreateGauge("location_node_group_warm_up_seconds",
        "How long the group's last load of its contacts took.", GroupLabel);

    private static readonly Gauge WarmUpRate = Prometheus.Metrics.CreateGauge("location_node_group_warm_up_rate",
        "Contacts per second of the group's last load.", GroupLabel);

    private static readonly Histogram BatchSeconds = Prometheus.Metrics.CreateHistogram("location_node_member_batch_seconds",
        "Time a member database took for one batch of writes (one DELETE and one REPLACE for everything queued).",
        new HistogramConfiguration { LabelNames = MemberLabels, Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });

    private static readonly Counter RowsWritten = Prometheus.Metrics.CreateCounter("location_node_member_rows_written_total",
        "Rows written to or deleted from a member database by write batches.", MemberLabels);

    private static readonly Counter MemberErrors = Prometheus.Metrics.CreateCounter("location_node_member_errors_total",
        "Database failures counted against a member (p_usrloc's error count; the threshold turns it off).", MemberLabels);

    private static readonly Counter MembersTurnedOff = Prometheus.Metrics.CreateCounter("location_node_members_turned_off_total",
        "Members a group turned off after reaching the error threshold.", MemberLabels);

    private static readonly Counter Resyncs = Prometheus.Metrics.CreateCounter("location_node_member_resyncs_total",
        "Members brought up to date after they missed writes (a resync from memory or a catch-up from another member).", MemberLabels);

    private static readonly Counter KeepalivesAnswered = Prometheus.Metrics.CreateCounter("location_node_keepalive_answered_total",
        "Keepalive pings (SIP OPTIONS) a group's contacts answered.", GroupLabel);

    private static readonly Counter KeepalivesUnanswered = Prometheus.Metrics.CreateCounter("location_node_keepalive_unanswered_total",
        "Keepalive pings a group's contacts left unanswered within the reply timeout.", GroupLabel);

    private static readonly Counter KeepaliveRemovals = Prometheus.Metrics.CreateCounter("location_node_keepalive_removed_total",
        "Contacts removed after location.keepalive.max-missed unanswered pings in a row.", GroupLabel);

    private static readonly Gauge KeepaliveWaiting = Prometheus.Metrics.CreateGauge("location_node_keepalive_backlog",
        "Pings due that the group's rate limit (location.keepalive.max-rate) holds back.", GroupLabel);

    private static readonly Counter GcPauseSeconds = Prometheus.Metrics.CreateCounter("location_node_gc_pause_seconds_total",
        "Time the .NET garbage collector paused this process since it started.");

    private static readonly Gauge Gen2PauseMax = Prometheus.Metrics.CreateGauge("location_node_gc_gen2_pause_max_seconds",
        "The longest pause of a gen-2 collection (blocking or background) seen at a scrape since the node started.");

    private static readonly GCKind[] Gen2Kinds = [GCKind.FullBlocking, GCKind.Background];
    private static readonly long[] LastGen2Index = [0, 0]; // per kind: the last collection looked at (scrapes run one at a time)

    // The runtime keeps the total: each scrape brings the counter up to it. Of gen-2 collections the runtime keeps the
    // last of each kind: a scrape that finds a new one takes its longest pause (one between two scrapes can be missed).
    static NodeMetrics() =>
        Prometheus.Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            GcPauseSeconds.IncTo(GC.GetTotalPauseDuration().TotalSeconds);
            for (var k = 0; k < Gen2Kinds.Length; k++)
            {
                var info = GC.GetGCMemoryInfo(Gen2Kinds[k]);
                if (info.Index == LastGen2Index[k])
                    continue;
                LastGen2Index[k] = info.Index;
                foreach (var pause in info.PauseDurations)
                {
                    if (pause.TotalSeconds > Gen2PauseMax.Value)
                        Gen2PauseMax.Set(pause.TotalSeconds);
                }
            }
        });

    /// <summary>The group's size now (reported at every watch tick, and page by page while it loads).</summary>
    public static void GroupSize(string group, long contacts, int aors, int stashed)
    {
        Contacts.WithLabels(group).Set(contacts);
        Aors.WithLabels(group).Set(aors);
        Stashed.WithLabels(group).Set(stashed);
    }

    /// <summary>The group loaded <paramref name="contacts"/> in <paramref name="elapsed"/>.</summary>
    public static void WarmedUp(string group, long contacts, TimeSpan elapsed)
    {
        WarmUpSeconds.WithLabels(group).Set(elapsed.TotalSeconds);
        WarmUpRate.WithLabels(group).Set(elapsed > TimeSpan.Zero ? contacts / elapsed.TotalSeconds : 0);
    }

    /// <summary>The group stopped on this node: its gauges go with it (the node that hosts it now reports them).</summary>
    public static void GroupStopped(string group)
    {
        foreach (var gauge in new[] { Contacts, Aors, Stashed, WarmUpSeconds, WarmUpRate, KeepaliveWaiting })
            gauge.RemoveLabelled(group);
    }

    public static void Batch(string group, int member, int rows, TimeSpan elapsed)
    {
        var no = MemberText(member);
        BatchSeconds.WithLabels(group, no).Observe(elapsed.TotalSeconds);
        RowsWritten.WithLabels(group, no).Inc(rows);
    }

    public static void MemberError(string group, int member) => MemberErrors.WithLabels(group, MemberText(member)).Inc();

    public static void MemberTurnedOff(string group, int member) => MembersTurnedOff.WithLabels(group, MemberText(member)).Inc();

    public static void MemberResynced(string group, int member) => Resyncs.WithLabels(group, MemberText(member)).Inc();

    public static void KeepalivePings(string group, int answered, int unanswered)
    {
        KeepalivesAnswered.WithLabels(group).Inc(answered);
        KeepalivesUnanswered.WithLabels(group).Inc(unanswered);
    }

    public static void KeepaliveRemoved(string group) => KeepaliveRemovals.WithLabels(group).Inc();

    public static void KeepaliveBacklog(string group, int waiting) => KeepaliveWaiting.WithLabels(group).Set(waiting);

    private static string MemberText(int member) => member.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
