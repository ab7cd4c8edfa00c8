using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.LocDb;
using LocationActors.Node.Configuration;
using LocationActors.Storage;

namespace LocationActors.Node.Check;

/// <summary>What the check found for one member database.</summary>
/// <param name="Row">Its <c>locdb</c> row.</param>
/// <param name="IsMember">Among the first <c>members-per-group</c> rows (takes traffic); otherwise a spare or parked row.</param>
/// <param name="Rows">Rows in its location table, when it was probed and answered.</param>
/// <param name="Error">Why it could not be used, when it was probed and did not answer.</param>
public sealed record MemberReport(LocDbRow Row, bool IsMember, long? Rows, string? Error)
{
    public bool Probed => Rows is not null || Error is not null;
}

/// <summary>The layout as the node would serve it, and whether every active member answers.</summary>
public sealed record LayoutReport(LocDbLayout Layout, IReadOnlyDictionary<int, IReadOnlyList<MemberReport>> Groups)
{
    public IEnumerable<string> Problems =>
        Layout.Problems.Concat(Groups.Values.SelectMany(g => g)
            .Where(m => m.Error is not null)
            .Select(m => $"group {m.Row.Id} member {m.Row.No} ({DatabaseUrl.Mask(m.Row.Url)}) does not answer: {m.Error}"));

    public bool Healthy => !Problems.Any();
}

/// <summary>
/// Reads <c>locdb</c> from the master database, computes the layout exactly as p_usrloc would, and probes every
/// active member (connection and location table). Writes nothing: safe against a production <c>locdb</c>.
/// </summary>
public static class LayoutCheck
{
    /// <exception cref="StorageException">The master database cannot be read.</exception>
    /// <exception cref="InvalidOperationException">locdb has no active row, so there is no layout at all.</exception>
    public static async Task<LayoutReport> RunAsync(LocationSettings settings, CancellationToken ct = default)
    {
        IReadOnlyList<LocDbRow> rows;
        await using (var master = new MasterDatabase(settings.MasterDbUrl, settings.Storage, settings.LocDbTable))
            rows = await master.ReadAllAsync(ct);

        var layout = LocDbLayout.FromRows(rows, settings.MembersPerGroup);
        var groups = new Dictionary<int, IReadOnlyList<MemberReport>>();
        foreach (var id in rows.Select(r => r.Id).Distinct().Order())
        {
            var members = layout.MembersOf(id);
            var reports = new List<MemberReport>();
            foreach (var row in members.Concat(layout.SparesOf(id)))
            {
                var isMember = members.Contains(row);
                reports.Add(isMember && row.Status == LocDbStatus.On
                    ? await ProbeAsync(row, settings, ct)
                    : new MemberReport(row, isMember, null, null));
            }

            groups[id] = reports;
        }

        return new LayoutReport(layout, groups);
    }

    /// <summary>Probes every partitioned table on the member; the rows are their sum.</summary>
    private static async Task<MemberReport> ProbeAsync(LocDbRow row, LocationSettings settings, CancellationToken ct)
    {
        long rows = 0;
        foreach (var domain in settings.Domains.Where(d => d.Kind == DomainKind.Cluster))
        {
            try
            {
                await using var db = new LocationDatabase(DatabaseUrl.Parse(row.Url), settings.Storage, domain.Table);
                await db.ProbeAsync(ct);
                rows += await db.CountAsync(ct);
            }
            catch (StorageException e)
            {
                return new MemberReport(row, true, null, $"{e.Kind}: {domain.Table}: {e.InnerException?.Message ?? e.Message}");
            }
        }

        return new MemberReport(row, true, rows, null);
    }
}
