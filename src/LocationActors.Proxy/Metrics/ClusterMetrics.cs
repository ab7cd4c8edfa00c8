using LocationActors.Domain.LocDb;
using LocationActors.Proxy.Client;
using Prometheus;

namespace LocationActors.Proxy.Metrics;

/// <summary>
/// The cluster's state as gauges, taken from the proxy's last <see cref="ClusterView"/> at each scrape: contacts per
/// group, each locdb member's status and errors, members turned off and resyncs per group, nodes by status, and
/// whether the cluster serves every group, each group's and member's state for alerting (deploy/prometheus/), and
/// whether the nodes can reach the master database.
/// </summary>
public static class ClusterMetrics
{
    private static readonly Gauge Ready = Prometheus.Metrics.CreateGauge("location_cluster_ready", "1 when every group of every domain serves and the groups are placed evenly (what /health/ready says), else 0.");

    private static readonly Gauge Nodes = Prometheus.Metrics.CreateGauge("location_cluster_nodes", "Cluster nodes by member status.",
        new GaugeConfiguration { LabelNames = ["status"] });

    private static readonly Gauge Contacts = Prometheus.Metrics.CreateGauge("location_group_contacts", "Contacts a group holds.",
        new GaugeConfiguration { LabelNames = ["table", "group"] });

    private static readonly Gauge TurnedOff = Prometheus.Metrics.CreateGauge("location_group_members_turned_off",
        "Members the group turned off after too many errors since it started on its node (a failover).", new GaugeConfiguration { LabelNames = ["table", "group"] });

    private static readonly Gauge Resyncs = Prometheus.Metrics.CreateGauge("location_group_resyncs",
        "Members the group resynchronised since it started on its node.", new GaugeConfiguration { LabelNames = ["table", "group"] });

    private static readonly Gauge Serving = Prometheus.Metrics.CreateGauge("location_group_serving",
        "1 when the group answers requests (serving, or loading and answering from its members), 0 when it does not answer or refuses.",
        new GaugeConfiguration { LabelNames = ["table", "group"] });

    private static readonly Gauge CatchingUp = Prometheus.Metrics.CreateGauge("location_member_catching_up",
        "1 while the group resynchronises the member database (it is on in locdb but not yet read from), else 0.",
        new GaugeConfiguration { LabelNames = ["group", "no"] });

    private static readonly Gauge MasterUp = Prometheus.Metrics.CreateGauge("location_master_up",
        "0 when the cluster cannot reach the master database (locdb), 1 when it can; absent until the cluster has answered.");

    private static readonly Gauge MemberStatus = Prometheus.Metrics.CreateGauge("location_member_status",
        "locdb status of a member database: 1 on, 0 off, 2 maintenance.", new GaugeConfiguration { LabelNames = ["group", "no"] });

    private static readonly Gauge MemberErrors = Prometheus.Metrics.CreateGauge("location_member_errors", "locdb error count of a member database.",
        new GaugeConfiguration { LabelNames = ["group", "no"] });

    /// <summary>Updates the gauges from <paramref name="source"/> before every scrape.</summary>
    public static void Register(ClusterViewSource source) => Prometheus.Metrics.DefaultRegistry.AddBeforeCollectCallback(() => Update(source.Current));

    private static void Update(ClusterView view)
    {
        Ready.Set(view.Unready is null ? 1 : 0);
        foreach (var status in view.State?.Nodes.GroupBy(n => n.Status) ?? [])
            Nodes.WithLabels(status.Key).Set(status.Count());
        if (view.State is { } state)
            MasterUp.Set(state.MasterDown ? 0 : 1);
        var catchingUp = new HashSet<(int Group, int No)>();
        foreach (var group in view.Groups)
        {
            var labels = new[] { group.Table, Text(group.Id) };
            Serving.WithLabels(labels).Set(group.Serves ? 1 : 0);
            if (group.Status is not { } status)
                continue;
            Contacts.WithLabels(labels).Set(status.ContactCount);
            TurnedOff.WithLabels(labels).Set(status.MembersTurnedOff);
            Resyncs.WithLabels(labels).Set(status.Resyncs);
            catchingUp.UnionWith((status.CatchingUp ?? []).Select(no => (group.Id, no)));
        }

        foreach (var row in view.State?.Rows ?? [])
        {
            var labels = new[] { Text(row.Id), Text(row.No) };
            MemberStatus.WithLabels(labels).Set(row.Status switch { LocDbStatus.On => 1, LocDbStatus.Off => 0, _ => 2 });
            MemberErrors.WithLabels(labels).Set(row.Errors);
            CatchingUp.WithLabels(labels).Set(catchingUp.Contains((row.Id, row.No)) ? 1 : 0);
        }
    }

    private static string Text(int number) => number.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
