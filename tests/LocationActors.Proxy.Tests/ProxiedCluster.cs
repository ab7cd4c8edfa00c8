using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LocationActors.Domain.LocDb;
using LocationActors.Storage;
using LocationActors.TestSupport;

namespace LocationActors.Proxy.Tests;

/// <summary>
/// A real deployment on loopback: three node processes on real MariaDB databases (a master with <c>locdb</c>, two
/// groups of two members on two servers) and a proxy process in front of them, ready once its
/// <c>/health/ready</c> says so. Everything is stopped by PID at the end.
/// </summary>
public sealed class ProxiedCluster : IAsyncLifetime
{
    public const string AdminToken = "test-admin-token";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private readonly MariaDbServers _servers = new();

    public NodeProcesses Processes { get; } = new(3);

    public int HttpPort { get; } = NodeProcesses.FreePort();

    /// <summary>Where the proxy's SIP front end listens (UDP and TCP).</summary>
    public int SipPort { get; } = NodeProcesses.FreePort();

    public string ProxyUrl => $"http://127.0.0.1:{HttpPort}";

    public HttpClient Http { get; private set; } = null!;

    public MasterDatabase Master { get; private set; } = null!;

    /// <summary>The member databases by (group, no).</summary>
    public Dictionary<(int Id, int No), LocationDatabase> Members { get; } = new();

    public MariaDbServers Servers => _servers;

    public async Task InitializeAsync()
    {
        await _servers.InitializeAsync();
        Master = new MasterDatabase(await _servers.CreateDatabaseAsync(1));
        await Master.CreateSchemaAsync();
        foreach (var (id, no, instance) in new[] { (1, 1, 1), (1, 2, 2), (2, 1, 2), (2, 2, 1) })
        {
            var member = new LocationDatabase(await _servers.CreateDatabaseAsync(instance));
            await member.CreateSchemaAsync();
            Members[(id, no)] = member;
            await Master.UpsertRowAsync(new LocDbRow(id, no, member.Url.Original, LocDbStatus.On, 0, LocDbRow.DefaultTime, false, instance));
        }

        foreach (var port in Processes.Ports)
            Processes.Start(port, new Dictionary<string, string> { ["LA_MASTER_DB_URL"] = Master.Url.Original, ["LA_LOCDB_POLL_INTERVAL"] = "1s" });
        StartProxy(HttpPort, AdminToken, SipPort);
        Http = new HttpClient { BaseAddress = new Uri(ProxyUrl), Timeout = TimeSpan.FromSeconds(30) };
        await UntilReadyAsync(Http);
        await UntilBalancedAsync();
    }

    /// <summary>
    /// Waits until all three nodes are Up and the two groups run on different nodes. Until then sharding may still
    /// move a group (it rebalances every 10 s as nodes join), and a request caught in that hand-off can time out:
    /// load tests that expect zero failures start after it.
    /// </summary>
    private async Task UntilBalancedAsync()
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            last = await Http.GetStringAsync("/v1/cluster");
            var cluster = JsonDocument.Parse(last).RootElement;
            var up = cluster.GetProperty("nodes").EnumerateArray().Count(n => n.GetProperty("status").GetString() == "Up");
            var groups = cluster.GetProperty("groups").EnumerateArray().ToList();
            if (up == 3 && groups.Count == 2 && groups.All(g => g.GetProperty("state").GetString() == "serving") &&
                groups.Select(g => g.GetProperty("node").GetString()).Distinct().Count() == 2)
                return;
            await Task.Delay(250);
        }

        throw new Xunit.Sdk.XunitException($"the groups did not settle on separate nodes within {StartTimeout}: {last}");
    }

    /// <summary>Starts a proxy (another one, or again) on <paramref name="port"/>; without a token its admin routes are off.</summary>
    public void StartProxy(int port, string? adminToken, int? sipPort = null) =>
        Processes.StartProxy(port, new Dictionary<string, string>
        {
            ["LA_ADMIN_TOKEN"] = adminToken ?? "",
            ["LA_CLUSTER_REFRESH_INTERVAL"] = "500ms",
            ["LA_SIP_ENDPOINT"] = $"127.0.0.1:{sipPort ?? NodeProcesses.FreePort()}",
            ["LA_MAX_EXPIRES"] = "7200",
        });

    /// <summary>Waits until the proxy answers 200 on /health/ready.</summary>
    public async Task UntilReadyAsync(HttpClient http)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        string last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync("/health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }

            await Task.Delay(250);
        }

        throw new Xunit.Sdk.XunitException($"the proxy at {http.BaseAddress} was not ready within {StartTimeout}: {last}\n{Processes.Logs()}");
    }

    public async Task DisposeAsync()
    {
        Processes.Dispose();
        Http?.Dispose();
        foreach (var member in Members.Values)
            await member.DisposeAsync();
        if (Master is not null)
            await Master.DisposeAsync();
        await _servers.DisposeAsync();
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>();
}

/// <summary>Tests that share one deployment; they must not break it.</summary>
[CollectionDefinition(Name)]
public sealed class ProxiedClusterCollection : ICollectionFixture<ProxiedCluster>
{
    public const string Name = "Proxied cluster";
}
