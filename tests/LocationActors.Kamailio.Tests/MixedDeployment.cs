using System.Diagnostics;
using System.Net;
using LocationActors.Chaos;
using LocationActors.Storage;
using LocationActors.TestSupport;

namespace LocationActors.Kamailio.Tests;

/// <summary>
/// Kamailio 5.6 with p_usrloc (the configuration of p_usrloc-spec §10) and LocationActors — three nodes in
/// shared-databases mode and a proxy — on the same MariaDB databases: one master with <c>locdb</c> (on a shared
/// instance), two groups of two members on two servers of their own (instances 6 and 7, which the tests kill and
/// freeze). Before LocationActors starts, <see cref="BaselineUsers"/> users register through Kamailio, as in an
/// estate that adopts LocationActors. Everything is started here and stopped by PID at the end.
/// </summary>
public sealed class MixedDeployment : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private readonly MariaDbServers _servers = new();
    private readonly string _folder = Directory.CreateTempSubdirectory("la-kamailio-").FullName;
    private KamailioProcess? _kamailio;
    private readonly Dictionary<(EdgeLookup, bool), KamailioProcess> _edges = [];
    private TwoByTwoLayout? _layout;

    /// <summary>Users registered through Kamailio before LocationActors started (contact <c>sip:user@192.0.2.99:5060</c>).</summary>
    public const int BaselineUsers = 10_000;

    public const string AdminToken = "mixed-admin-token";

    /// <summary>How long a test phone waits for a SIP answer; none within it counts as unanswered.</summary>
    public static readonly TimeSpan SipLimit = TimeSpan.FromSeconds(8);

    public MariaDbServers Servers => _servers;

    /// <summary>The MariaDB instance of each member: (1,1) and (2,2) on the first host, (1,2) and (2,1) on the second.</summary>
    public static int HostOf((int Id, int No) member) =>
        MariaDbServers.MixedInstances[member is (1, 1) or (2, 2) ? 0 : 1];

    public static string BaselineUser(int i) => $"base{i:D5}";

    public NodeProcesses Processes { get; } = new(3);

    public int HttpPort { get; } = NodeProcesses.FreePort();

    /// <summary>LocationActors' SIP front end.</summary>
    public int SipPort { get; } = NodeProcesses.FreePort();

    /// <summary>Kamailio's SIP port.</summary>
    public int KamailioPort { get; } = NodeProcesses.FreePort();

    public HttpClient Http { get; private set; } = null!;

    public MasterDatabase Master => _layout!.Master;

    /// <summary>The member databases by (group, no).</summary>
    public Dictionary<(int Id, int No), LocationDatabase> Members => _layout!.Members;

    /// <summary>Kamailio's log so far (read while the fixture still writes it).</summary>
    public IReadOnlyList<string> KamailioLogLines() => _kamailio!.LogLines();

    public async Task InitializeAsync()
    {
        await _servers.InitializeAsync();
        await _servers.UpOnlyAsync(MariaDbServers.MixedInstances);
        _layout = await TwoByTwoLayout.CreateAsync(_servers, (MariaDbServers.MixedInstances[0], MariaDbServers.MixedInstances[1]));

        await StartKamailioAsync();
        await RegisterBaselineAsync();

        foreach (var port in Processes.Ports)
            Processes.Start(port, new Dictionary<string, string>
            {
                ["LA_MASTER_DB_URL"] = Master.Url.Original,
                ["LA_LOCDB_POLL_INTERVAL"] = "1s",
                ["LA_SHARED_DATABASES"] = "on",
                ["LA_DB_RETRY_INTERVAL"] = "2s", // the watcher: a returning member is back within seconds
            });
        Processes.StartProxy(HttpPort, new Dictionary<string, string>
        {
            ["LA_SIP_ENDPOINT"] = $"127.0.0.1:{SipPort}",
            ["LA_CLUSTER_REFRESH_INTERVAL"] = "500ms",
            ["LA_MAX_EXPIRES"] = "3600", // as Kamailio's registrar here
            ["LA_ADMIN_TOKEN"] = AdminToken,
        });
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}"), Timeout = TimeSpan.FromSeconds(30) };
        await TwoByTwoLayout.UntilSettledAsync(Http, Processes, StartTimeout);
    }

    /// <summary>The estate before LocationActors: <see cref="BaselineUsers"/> phones registered through Kamailio.</summary>
    private async Task RegisterBaselineAsync()
    {
        var failed = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, BaselineUsers).Chunk(BaselineUsers / 8), async (slice, _) =>
        {
            using var phone = new SipClient(KamailioPort, SipLimit);
            foreach (var i in slice)
            {
                var user = BaselineUser(i);
                if (await phone.RegisterAsync(user, $"{user}-call", 1, $"sip:{user}@192.0.2.99:5060", 3600) != 200)
                    failed.Add(user);
            }
        });
        if (!failed.IsEmpty)
            throw new Xunit.Sdk.XunitException($"{failed.Count} baseline REGISTERs through Kamailio failed, e.g. {failed.First()}:\n" +
                                               string.Join("\n", KamailioLogLines().TakeLast(30)));
    }

    private async Task StartKamailioAsync() =>
        _kamailio = await StartKamailioAsync("db_mysql.so", Master.Url, KamailioPort, _folder);

    /// <summary>Kamailio with p_usrloc (<c>kamailio.cfg</c>) on the master at <paramref name="master"/>, through <paramref name="dbModule"/>.</summary>
    public static Task<KamailioProcess> StartKamailioAsync(string dbModule, DatabaseUrl master, int port, string folder)
    {
        var config = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "kamailio.cfg"))
            .Replace("DB_MODULE", dbModule).Replace("MASTER_DB_URL", master.Original)
            .Replace("SIP_PORT", port.ToString(System.Globalization.CultureInfo.InvariantCulture)).Replace("MODULES_PATH", KamailioProcess.ModulesPath);
        var path = Path.Combine(folder, "kamailio.cfg");
        File.WriteAllText(path, config);
        return KamailioProcess.StartAsync(path, port, Path.Combine(folder, "p_usrloc"));
    }

    /// <summary>The shipped edge proxy configuration, run as it is.</summary>
    public static string EdgeConfig => Path.Combine(MariaDbServers.RepositoryRoot, "deploy", "kamailio", "edge.cfg");

    /// <summary>A Kamailio edge proxy with <see cref="EdgeConfig"/> in front of this deployment, started on first use.</summary>
    /// <param name="serial">Contacts forked to one after the other (FORK_SERIAL), or all at once.</param>
    public async Task<KamailioProcess> EdgeAsync(EdgeLookup lookup, bool serial = false)
    {
        if (!_edges.TryGetValue((lookup, serial), out var edge))
            _edges[(lookup, serial)] = edge = await StartEdgeAsync(lookup, serial, SipPort, HttpPort, Path.Combine(_folder, $"edge-{lookup}-{(serial ? "serial" : "parallel")}"));
        return edge;
    }

    /// <summary>An edge in front of the LocationActors proxy at these ports (the caller stops it).</summary>
    public static Task<KamailioProcess> StartEdgeAsync(EdgeLookup lookup, bool serial, int sipPort, int httpPort, string folder)
    {
        var port = NodeProcesses.FreePort();
        List<string> defines = [$"EDGE_LISTEN=udp:127.0.0.1:{port}", $"LA_SIP=\"sip:127.0.0.1:{sipPort}\"", $"LA_HTTPCON=\"locationactors=>http://127.0.0.1:{httpPort}\""];
        if (lookup == EdgeLookup.Http)
            defines.Add("LOOKUP_HTTP");
        if (serial)
            defines.Add("FORK_SERIAL");
        return KamailioProcess.StartAsync(EdgeConfig, port, folder, [.. defines]);
    }

    public async Task DisposeAsync()
    {
        foreach (var edge in _edges.Values)
            edge.Dispose();
        _kamailio?.Dispose();

        Processes.Dispose();
        Http?.Dispose();
        if (_layout is not null)
            await _layout.DisposeAsync();
        await _servers.DisposeAsync();
    }
}

/// <summary>How an edge proxy asks LocationActors where a user is: the 302 (uac_redirect), or the HTTP API.</summary>
public enum EdgeLookup
{
    Redirect,
    Http,
}

[CollectionDefinition(Name)]
public sealed class MixedDeploymentCollection : ICollectionFixture<MixedDeployment>
{
    public const string Name = "Kamailio and LocationActors";
}
