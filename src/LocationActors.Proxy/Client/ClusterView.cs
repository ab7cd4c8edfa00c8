using LocationActors.Cluster.Gateway;
using LocationActors.Cluster.LocationGroups;

namespace LocationActors.Proxy.Client;

/// <summary>One group as last read: its status, or why it did not answer.</summary>
public sealed record GroupView(string Table, int Id, GroupStatus? Status, string? Problem);

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
            : Groups.FirstOrDefault(g => g.Status?.State is not ("serving" or "loading")) is { } group
                ? $"{group.Table} group {group.Id} is {group.Status?.State ?? group.Problem ?? "not answering"}"
                : null);
}

/// <summary>Where the latest <see cref="ClusterView"/> is kept: written by <see cref="ClusterMonitor"/>, read by any thread.</summary>
public sealed class ClusterViewSource
{
    private volatile ClusterView _current = ClusterView.Unknown;

    public ClusterView Current => _current;

    internal void Publish(ClusterView view) => _current = view;
}
