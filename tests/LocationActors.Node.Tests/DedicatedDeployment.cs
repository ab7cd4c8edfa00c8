using System.Net.Http.Json;
using System.Text.Json;
using LocationActors.TestSupport;

namespace LocationActors.Node.Tests;

/// <summary>
/// Node processes and a proxy (HTTP and SIP) in front of them, on p_usrloc-spec §10's layout placed on the dedicated
/// MariaDB instances, so a test may kill or freeze the servers under it. Everything started is stopped when disposed.
/// </summary>
internal sealed class DedicatedDeployment : IAsyncDisposable
{
    private DedicatedDeployment(NodeProcesses processes, TwoByTwoLayout layout, HttpClient http, int sipPort)
    {
        Processes = processes;
        Layout = layout;
        Http = http;
        SipPort = sipPort;
    }

    public NodeProcesses Processes { get; }

    public TwoByTwoLayout Layout { get; }

    /// <summary>The proxy's HTTP API.</summary>
    public HttpClient Http { get; }

    /// <summary>The proxy's SIP front end (UDP).</summary>
    public int SipPort { get; }

    /// <param name="nodes">Node processes, each seeded with all.</param>
    /// <param name="hosts">The instances of the members (group 1's first member and group 2's second on the first).</param>
    /// <param name="masterInstance">The instance of the master database.</param>
    /// <param name="proxyEnvironment">More settings of the proxy (its request timeout is 3 s unless given).</param>
    public static async Task<DedicatedDeployment> StartAsync(MariaDbServers servers, int nodes, (int A, int B) hosts, int masterInstance,
        IDictionary<string, string>? proxyEnvironment = null)
    {
        await servers.UpAsync(MariaDbServers.DedicatedInstances.Max());
        return await StartAsync(await TwoByTwoLayout.CreateAsync(servers, hosts, masterInstance), nodes, proxyEnvironment);
    }

    /// <summary>The same on the PostgreSQL servers (their dedicated instances started first).</summary>
    public static async Task<DedicatedDeployment> StartAsync(PostgresServers servers, int nodes, (int A, int B) hosts, int masterInstance,
        IDictionary<string, string>? proxyEnvironment = null)
    {
        await servers.UpOnlyAsync(PostgresServers.DedicatedInstances);
        return await StartAsync(await TwoByTwoLayout.CreateAsync(servers, hosts, masterInstance), nodes, proxyEnvironment);
    }

    private static async Task<DedicatedDeployment> StartAsync(TwoByTwoLayout layout, int nodes, IDictionary<string, string>? proxyEnvironment)
    {
        var processes = new NodeProcesses(nodes);
        foreach (var port in processes.Ports)
            processes.Start(port, new Dictionary<string, string> { ["LA_MASTER_DB_URL"] = layout.Master.Url.Original, ["LA_LOCDB_POLL_INTERVAL"] = "1s" });
        var (httpPort, sipPort) = (NodeProcesses.FreePort(), NodeProcesses.FreePort());
        var proxy = new Dictionary<string, string>
        {
            ["LA_MASTER_DB_URL"] = layout.Master.Url.Original, ["LA_SIP_ENDPOINT"] = $"127.0.0.1:{sipPort}", ["LA_ADMIN_TOKEN"] = "",
            ["LA_CLUSTER_REFRESH_INTERVAL"] = "500ms", ["LA_REQUEST_TIMEOUT"] = "3s",
        };
        foreach (var (name, value) in proxyEnvironment ?? new Dictionary<string, string>())
            proxy[name] = value;
        processes.StartProxy(httpPort, proxy);
        var deployment = new DedicatedDeployment(processes, layout,
            new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(10) }, sipPort);
        await deployment.UntilAsync("every node is up and both groups serve on different nodes", cluster =>
            cluster.GetProperty("nodes").EnumerateArray().Count(n => n.GetProperty("status").GetString() == "Up") == nodes &&
            cluster.GetProperty("groups").EnumerateArray().Count(g => g.GetProperty("state").GetString() == "serving") == 2 &&
            cluster.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("node").GetString()).Distinct().Count() == Math.Min(nodes, 2));
        return deployment;
    }

    /// <summary>Polls the proxy's <c>/v1/cluster</c> until <paramref name="condition"/> holds of it.</summary>
    public Task UntilAsync(string what, Func<JsonElement, bool> condition, TimeSpan? within = null) =>
        Eventually.UntilAsync(what, async () => condition(JsonDocument.Parse(await Http.GetStringAsync("/v1/cluster")).RootElement),
            within ?? TimeSpan.FromMinutes(2), TimeSpan.FromMilliseconds(250), e => e is HttpRequestException or TaskCanceledException or KeyNotFoundException,
            () => Task.FromResult(Processes.Logs()));

    /// <summary>The port of the node process hosting <paramref name="groupId"/>.</summary>
    public async Task<int> NodeHostingAsync(int groupId)
    {
        var cluster = JsonDocument.Parse(await Http.GetStringAsync("/v1/cluster")).RootElement;
        var node = cluster.GetProperty("groups").EnumerateArray().First(g => g.GetProperty("id").GetInt32() == groupId).GetProperty("node").GetString()!;
        return int.Parse(node[(node.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    public static string ContactOf(string user) => $"sip:{user}@192.0.2.{int.Parse(user[^2..], System.Globalization.CultureInfo.InvariantCulture) + 1}:5060";

    /// <summary>Registers <paramref name="user"/> at <see cref="ContactOf"/> through the HTTP API; the answer's status.</summary>
    public async Task<System.Net.HttpStatusCode> RegisterAsync(string user)
    {
        using var response = await Http.PostAsJsonAsync($"/v1/aors/{user}", new { contacts = new[] { new { uri = ContactOf(user) } }, callId = $"c-{user}", cseq = 1 });
        return response.StatusCode;
    }

    /// <summary>Whether a lookup of <paramref name="user"/> answers exactly <see cref="ContactOf"/>.</summary>
    public async Task<bool> FoundAsync(string user)
    {
        using var response = await Http.GetAsync($"/v1/aors/{user}");
        return response.IsSuccessStatusCode &&
               JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("contacts").EnumerateArray()
                   .Select(c => c.GetProperty("uri").GetString()).SequenceEqual([ContactOf(user)]);
    }

    /// <summary>
    /// After a member server failed: waits until its members (the rows of its risk group) are on and resynchronised,
    /// checks that each group's members hold the same rows, and that every one of <paramref name="users"/> is found
    /// at its contact (<c>sip:user@127.0.0.1:…</c>, as <see cref="SipRegisterLoad"/> registers).
    /// </summary>
    public async Task AssertRecoveredAsync(int failedInstance, IReadOnlyList<string> users)
    {
        await Eventually.UntilAsync("the failed members are on and resynchronised", async () =>
                (await Layout.Master.ReadGroupAsync(1)).Concat(await Layout.Master.ReadGroupAsync(2))
                .Where(r => r.RiskGroup == failedInstance).All(r => r is { Status: Domain.LocDb.LocDbStatus.On, Failover: Domain.LocDb.LocDbRow.ZeroTime }),
            TimeSpan.FromMinutes(2), notYet: e => e is Storage.StorageException, diagnostics: async () =>
                string.Join("\n", (await Layout.Master.ReadAllAsync()).Select(r => r.ToString())) + "\n" + Processes.Logs(60));
        foreach (var group in new[] { 1, 2 })
            Assert.Equal(await RuidsAsync(Layout.Members[(group, 1)]), await RuidsAsync(Layout.Members[(group, 2)]));
        var missing = 0;
        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (user, ct) =>
        {
            using var response = await Http.GetAsync($"/v1/aors/{user}", ct);
            if (response.StatusCode != System.Net.HttpStatusCode.OK ||
                !(await response.Content.ReadAsStringAsync(ct)).Contains($"sip:{user}@127.0.0.1:", StringComparison.Ordinal))
                Interlocked.Increment(ref missing);
        });
        Assert.Equal(0, missing);
    }

    private static async Task<List<string>> RuidsAsync(Storage.LocationDatabase member)
    {
        var ruids = new List<string>();
        await foreach (var row in member.StreamAllAsync())
            ruids.Add(row.Ruid);
        return ruids.Order(StringComparer.Ordinal).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Processes.Dispose();
        await Layout.DisposeAsync();
    }
}
