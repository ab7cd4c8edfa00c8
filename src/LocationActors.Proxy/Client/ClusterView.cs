using LocationActors.Cluster;
using LocationActors.Cluster.Gateway;
using LocationActors.Cluster.LocationGroups;

namespace LocationActors.Proxy.Client;

/// <summary>One group as last read: its status, or why it did not answer.</summary>
public sealed record GroupView(string Table, int Id, GroupStatus? Status, string? Problem)
{
    /// <summary>The group answers requests: it serves, or it is loading its contacts and answers from its members meanwhile.</summary>
    public bool Serves => Status?.State is "serving" or "loading";
}

/// <summary>
/// The cluster as the proxy last read it (every refresh interval): the gateway's <see cref="ClusterState"/> (groups
/// per domain, AOR rules, nodes, locdb) and each group's status. Requests are routed with it, and the HTTP API
/// reports it. Immutable: a new one replaces the old.
/// </summary>
public sealed record ClusterView(ClusterState? State, IReadOnlyList<GroupView> Groups, DateTimeOffset ReadAt, string? Problem)
{
    public static ClusterView Unknown { get; } = new(null, [], DateTimeOffset.MinValue, "the location cluster has not answered yet");

    /// <summary>Why the cluster cannot serve every request now, or null when every group of every domain serves (a loading group answers from its members).</summary>
    public string? NotReady =>
        Problem ?? (State is not { LocDbKnown: true } ? "the cluster has not read locdb yet"
            : Groups.FirstOrDefault(g => !g.Serves) is { } group
                ? $"{group.Table} group {group.Id} is {group.Status?.State ?? group.Problem ?? "not answering"}"
                : null);

    /// <summary>
    /// Why the groups may still move, or null once placement has settled. Sharding moves a group away from a node that
    /// hosts two more than another (least-shard allocation), and the group answers nobody while it moves: right after
    /// the nodes start, the first to join hosts them all until the others have joined.
    /// </summary>
    public string? NotSettled
    {
        get
        {
            var hosted = State?.Nodes.Where(n => n.Status == "Up" && n.Roles.Contains(ClusterConstants.LocationRole)).ToDictionary(n => n.Address, _ => 0);
            if (hosted is not { Count: > 1 })
                return null;
            foreach (var node in Groups.Select(g => g.Status?.Node).OfType<string>().Where(hosted.ContainsKey))
                hosted[node]++;
            var (most, least) = (hosted.MaxBy(h => h.Value), hosted.MinBy(h => h.Value));
            return most.Value - least.Value > 1 ? $"groups are still being placed: {most.Key} hosts {most.Value}, {least.Key} hosts {least.Value}" : null;
        }
    }

    /// <summary>Why <c>/health/ready</c> answers 503: the cluster cannot serve every request (<see cref="NotReady"/>), or its groups may still move.</summary>
    public string? Unready => NotReady ?? NotSettled;
}

/// <summary>Where the latest <see cref="ClusterView"/> is kept: written by <see cref="ClusterMonitor"/>, read by any thread.</summary>
public sealed class ClusterViewSource
{
    private volatile ClusterView _current = ClusterView.Unknown;

    public ClusterView Current => _current;

    internal void Publish(ClusterView view) => _current = view;
}
