using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LocationActors.Storage;
using LocationActors.TestSupport;

namespace LocationActors.Proxy.Tests;

/// <summary>
/// A real deployment on loopback: three node processes on real MariaDB databases (a master with <c>locdb</c>, two
/// groups of two members on two servers) and a proxy process in front of them, ready once its
/// <c>/health/ready</c> says so. Everything is stopped by PID at the end.
/// </summary>
public class ProxiedCluster : IAsyncLifetime
{
    public const string AdminToken = "test-admin-token";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private readonly MariaDbServers _servers = new();
    private TwoByTwoLayout? _layout;

    public NodeProcesses Processes { get; } = new(3);

    public int HttpPort { get; } = NodeProcesses.FreePort();

    /// <summary>Where the proxy's SIP front end listens (UDP and TCP).</summary>
    public int SipPort { get; } = NodeProcesses.FreePort();

    public string ProxyUrl => $"http://127.0.0.1:{HttpPort}";

    public HttpClient Http { get; private set; } = null!;

    public MasterDatabase Master => _layout!.Master;

    /// <summary>The member databases by (group, no).</summary>
    public Dictionary<(int Id, int No), LocationDatabase> Members => _layout!.Members;

    public MariaDbServers Servers => _servers;

    public async Task InitializeAsync()
    {
        await _servers.InitializeAsync();
        _layout = await TwoByTwoLayout.CreateAsync(_servers);
        await BeforeNodesStartAsync();
        foreach (var port in Processes.Ports)
            Processes.Start(port, new Dictionary<string, string>(NodeEnvironment) { ["LA_MASTER_DB_URL"] = Master.Url.Original, ["LA_LOCDB_POLL_INTERVAL"] = "1s" });
        StartProxy(HttpPort, AdminToken, SipPort, new Dictionary<string, string>(ProxyEnvironment));
        Http = new HttpClient { BaseAddress = new Uri(ProxyUrl), Timeout = TimeSpan.FromSeconds(30) };
        await UntilReadyAsync(Http);
        await TwoByTwoLayout.UntilSettledAsync(Http, Processes, StartTimeout);
    }

    /// <summary>Settings of every node beside the master's URL and the locdb poll interval.</summary>
    protected virtual IReadOnlyDictionary<string, string> NodeEnvironment { get; } = new Dictionary<string, string>();

    /// <summary>Settings of the deployment's proxy beside the test defaults of <see cref="StartProxy"/>.</summary>
    protected virtual IReadOnlyDictionary<string, string> ProxyEnvironment { get; } = new Dictionary<string, string>();

    /// <summary>What a deployment of another kind puts in the databases before any node reads them.</summary>
    protected virtual Task BeforeNodesStartAsync() => Task.CompletedTask;

    /// <summary>Starts a proxy (another one, or again) on <paramref name="port"/>; without a token its admin routes are off.</summary>
    public void StartProxy(int port, string? adminToken, int? sipPort = null, IDictionary<string, string>? environment = null)
    {
        var variables = new Dictionary<string, string>
        {
            ["LA_ADMIN_TOKEN"] = adminToken ?? "",
            ["LA_CLUSTER_REFRESH_INTERVAL"] = "500ms",
            ["LA_SIP_ENDPOINT"] = $"127.0.0.1:{sipPort ?? NodeProcesses.FreePort()}",
            ["LA_MAX_EXPIRES"] = "7200",
            // The failure tests want the "unavailable" answer soon, not after a failover's worth of waiting.
            ["LA_REQUEST_TIMEOUT"] = "3s",
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            variables[name] = value;
        Processes.StartProxy(port, variables);
    }

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

    public virtual async Task DisposeAsync()
    {
        Processes.Dispose();
        Http?.Dispose();
        if (_layout is not null)
            await _layout.DisposeAsync();
        await _servers.DisposeAsync();
    }

    /// <summary>
    /// The port of the node hosting group <paramref name="groupId"/>, once every node has seen all three Up: two
    /// survivors that still see a joining third would down themselves when a node is killed.
    /// </summary>
    public static async Task<int> NodeHostingAsync(HttpClient http, int groupId)
    {
        JsonElement state;
        do
        {
            await Task.Delay(500);
            state = JsonDocument.Parse(await http.GetStringAsync("/v1/cluster")).RootElement;
        }
        while (state.GetProperty("nodes").EnumerateArray().Count(n => n.GetProperty("status").GetString() == "Up") < 3);
        var host = state.GetProperty("groups").EnumerateArray().First(g => g.GetProperty("id").GetInt32() == groupId).GetProperty("node").GetString()!;
        return int.Parse(host[(host.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
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
