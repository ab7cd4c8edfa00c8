using LocationActors.Domain.LocDb;
using LocationActors.Storage;

namespace LocationActors.Node.Init;

/// <summary>
/// Prepares a new deployment's databases: the master's tables and a <c>locdb</c> row per member, and each member's
/// <c>location</c> table. A <c>locdb</c> that already has rows is left as it is (only missing tables are created), so
/// running it again never changes a layout an operator (or p_usrloc) relies on.
/// </summary>
public static class LayoutInit
{
    /// <param name="master">The master database (<c>locdb</c>).</param>
    /// <param name="groups">Each group's member URLs, in <c>no</c> order: group 1 first.</param>
    /// <returns>What was done, a line per step, for the operator.</returns>
    public static async Task<IReadOnlyList<string>> RunAsync(DatabaseUrl master, IReadOnlyList<IReadOnlyList<DatabaseUrl>> groups, StorageOptions options,
        string locdbTable, CancellationToken ct)
    {
        var report = new List<string>();
        foreach (var member in groups.SelectMany(g => g))
        {
            await using var database = new LocationDatabase(member, options);
            await database.CreateSchemaAsync(ct);
        }

        report.Add($"{groups.Sum(g => g.Count)} member databases have their location table");
        await using var locdb = new MasterDatabase(master, options, locdbTable);
        await locdb.CreateSchemaAsync(ct);
        var existing = await locdb.ReadAllAsync(ct);
        if (existing.Count > 0)
        {
            report.Add($"{locdbTable} already has {existing.Count} rows; left as it is");
            return report;
        }

        // Members on the same server share a risk group (rg): a spare must come from another one (failover level 2).
        var servers = groups.SelectMany(g => g).Select(Server).Distinct().ToList();
        for (var id = 1; id <= groups.Count; id++)
        {
            for (var no = 1; no <= groups[id - 1].Count; no++)
            {
                var url = groups[id - 1][no - 1];
                await locdb.UpsertRowAsync(new LocDbRow(id, no, url.Original, LocDbStatus.On, 0, LocDbRow.DefaultTime, false, servers.IndexOf(Server(url)) + 1), ct);
            }
        }

        report.Add($"{locdbTable} seeded: {groups.Count} groups of {string.Join("/", groups.Select(g => g.Count).Distinct())} members");
        return report;
    }

    private static string Server(DatabaseUrl url) => url.Kind == DatabaseKind.Sqlite ? url.Original : $"{url.Host}:{url.Port}"; // the risk group: one per server
}
