using Prometheus;

namespace LocationActors.Proxy.Metrics;

/// <summary>
/// What the proxy's actors measure, for <c>GET /metrics</c> (docs/operations.md lists every metric). The actors report
/// through these methods and hold no metric of their own.
/// </summary>
public static class ProxyMetrics
{
    private static readonly Counter Attempts = Prometheus.Metrics.CreateCounter("location_proxy_cluster_attempts_total",
        "Attempts of requests sent to the cluster: route group_node (to the node hosting the group, named by node) or contact_points.",
        new CounterConfiguration { LabelNames = ["route", "node"] });

    private static readonly Counter MemberReads = Prometheus.Metrics.CreateCounter("location_proxy_member_reads_total",
        "Lookups the cluster did not answer in time, read from a member database instead: outcome answered or failed (per member tried).",
        new CounterConfiguration { LabelNames = ["outcome"] });

    private static readonly Counter.Child ContactPointAttempts = Attempts.WithLabels("contact_points", "");

    /// <summary>An attempt sent to the cluster client's contact points (the node hosting the group is not known, or it is a retry).</summary>
    public static void AttemptThroughContactPoints() => ContactPointAttempts.Inc();

    /// <summary>A lookup read from a member database (outcome <c>answered</c>), or a member that could not be read (<c>failed</c>).</summary>
    public static void MemberRead(string outcome) => MemberReads.WithLabels(outcome).Inc();

    /// <summary>An attempt sent straight to the node that hosts the group.</summary>
    public static void AttemptToGroupNode(string node) => Attempts.WithLabels("group_node", node).Inc();
}
