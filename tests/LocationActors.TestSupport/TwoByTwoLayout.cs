using System.Text.Json;
using LocationActors.Domain.LocDb;
using LocationActors.Storage;

namespace LocationActors.TestSupport;

/// <summary>
/// p_usrloc-spec §10's layout on the shared MariaDB (or PostgreSQL) servers: a master database with <c>locdb</c>, and
/// two groups of two member databases, the members of each group on different servers (instances 1 and 2).
/// </summary>
public sealed class TwoByTwoLayout : IAsyncDisposable
{
    private TwoByTwoLayout(MasterDatabase master, Dictionary<(int Id, int No), LocationDatabase> members)
    {
        Master = master;
        Members = members;
    }

    public MasterDatabase Master { get; }

    /// <summary>The member databases by (group, no).</summary>
    public Dictionary<(int Id, int No), LocationDatabase> Members { get; }

    /// <param name="servers">The MariaDB servers.</param>
    /// <param name="hosts">The two instances holding the members (the layout's two hosts): 1 and 2 unless given.</param>
    /// <param name="masterInstance">The instance holding the master: 1 unless given.</param>
    public static Task<TwoByTwoLayout> CreateAsync(MariaDbServers servers, (int A, int B)? hosts = null, int masterInstance = 1) =>
        CreateAsync(servers.CreateDatabaseAsync, hosts, masterInstance);

    /// <summary>The same layout on the PostgreSQL servers.</summary>
    public static Task<TwoByTwoLayout> CreateAsync(PostgresServers servers, (int A, int B)? hosts = null, int masterInstance = 1) =>
        CreateAsync(servers.CreateDatabaseAsync, hosts, masterInstance);

    /// <param name="createDatabase">A fresh, empty database on a server instance.</param>
    private static async Task<TwoByTwoLayout> CreateAsync(Func<int, Task<DatabaseUrl>> createDatabase, (int A, int B)? hosts, int masterInstance)
    {
        var master = new MasterDatabase(await createDatabase(masterInstance));
        await master.CreateSchemaAsync();
        var members = new Dictionary<(int Id, int No), LocationDatabase>();
        var (a, b) = hosts ?? (1, 2);
        foreach (var (id, no, instance) in new[] { (1, 1, a), (1, 2, b), (2, 1, b), (2, 2, a) })
        {
            var member = new LocationDatabase(await createDatabase(instance));
            await member.CreateSchemaAsync();
            members[(id, no)] = member;
            await master.UpsertRowAsync(new LocDbRow(id, no, member.Url.Original, LocDbStatus.On, 0, LocDbRow.DefaultTime, false, instance));
        }

        return new TwoByTwoLayout(master, members);
    }

    /// <summary>
    /// Waits until a proxy reports three nodes Up and the two groups serving on different nodes. Until then sharding
    /// may still move a group (it rebalances every 10 s as nodes join), and a request caught in that hand-off can
    /// time out: tests that expect no failure start after it.
    /// </summary>
    public static async Task UntilSettledAsync(HttpClient proxy, NodeProcesses processes, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await proxy.GetStringAsync("/v1/cluster");
                var cluster = JsonDocument.Parse(last).RootElement;
                var groups = cluster.GetProperty("groups").EnumerateArray().ToList();
                if (cluster.GetProperty("nodes").EnumerateArray().Count(n => n.GetProperty("status").GetString() == "Up") == 3 && groups.Count == 2 &&
                    groups.All(g => g.GetProperty("state").GetString() == "serving") &&
                    groups.Select(g => g.GetProperty("node").GetString()).Distinct().Count() == 2)
                    return;
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }

            await Task.Delay(250);
        }

        throw new Xunit.Sdk.XunitException($"the cluster did not settle within {timeout}: {last}\n{processes.Logs()}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var member in Members.Values)
            await member.DisposeAsync();
        await Master.DisposeAsync();
    }
}
