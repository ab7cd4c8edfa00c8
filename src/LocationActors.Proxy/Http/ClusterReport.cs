using LocationActors.Contracts.Http;
using LocationActors.Domain.LocDb;
using LocationActors.Proxy.Client;

namespace LocationActors.Proxy.Http;

/// <summary><c>GET /v1/cluster</c>: the proxy's last view of the cluster, one entry per group with its locdb members.</summary>
public static class ClusterReport
{
    public static ClusterJson From(ClusterView view)
    {
        var state = view.State;
        var rows = state?.Rows ?? [];
        var groups = view.Groups.Select(g =>
        {
            var members = rows.Where(r => r.Id == g.Id && g.Id > 0).OrderBy(r => r.No).Select(r => new MemberJson(
                r.No, r.Url, StatusName(r.Status), r.Errors, LocDbRow.IsReset(r.Failover) ? null : ContactJson.Iso(r.Failover), r.Spare, r.RiskGroup,
                g.Status?.ActiveMembers.Contains(r.No) == true,
                r.Status == LocDbStatus.On && LocDbRow.IsReset(r.Failover) && g.Status?.CatchingUp?.Contains(r.No) != true)).ToList();
            return new GroupJson(g.Table, g.Id, g.Status?.Node, g.Status?.State ?? "unavailable", g.Status?.AorCount, g.Status?.ContactCount,
                g.Status?.MembersTurnedOff, g.Status?.Resyncs, members, g.Problem);
        }).ToList();
        return new ClusterJson(
            state?.Nodes.Select(n => NodeJson.From(n.Address, n.Status, n.Roles)).ToList() ?? [],
            state?.LocDbKnown ?? false,
            state?.MasterDown ?? false,
            state?.Domains.Select(d => new DomainJson(d.Table, d.Partitioned, d.GroupCount)).ToList() ?? [],
            groups,
            view.Problem);
    }

    private static string StatusName(LocDbStatus status) => status switch
    {
        LocDbStatus.On => "on",
        LocDbStatus.Off => "off",
        _ => "maintenance",
    };
}
