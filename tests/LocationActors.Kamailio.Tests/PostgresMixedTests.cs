using System.Net;
using LocationActors.Chaos;
using LocationActors.Domain.Aors;
using LocationActors.Domain.LocDb;
using LocationActors.Domain.Partitioning;
using LocationActors.Storage;
using LocationActors.TestSupport;
using Xunit.Abstractions;

namespace LocationActors.Kamailio.Tests;

/// <summary>
/// Kamailio 5.6 p_usrloc through <c>db_postgres</c> and LocationActors (three nodes in shared-databases mode and a
/// proxy) on the same PostgreSQL databases, in p_usrloc-spec §10's layout on the two shared PostgreSQL instances.
/// </summary>
public sealed class PostgresMixedDeployment : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("la-kamailio-pg-").FullName;
    private TwoByTwoLayout? _layout;
    private KamailioProcess? _kamailio;

    public PostgresServers Servers { get; } = new();

    public NodeProcesses Processes { get; } = new(3);

    public int HttpPort { get; } = NodeProcesses.FreePort();

    public int SipPort { get; } = NodeProcesses.FreePort();

    public int KamailioPort { get; } = NodeProcesses.FreePort();

    public HttpClient Http { get; private set; } = null!;

    public MasterDatabase Master => _layout!.Master;

    public Dictionary<(int Id, int No), LocationDatabase> Members => _layout!.Members;

    public IReadOnlyList<string> KamailioLogLines() => _kamailio!.LogLines();

    public async Task InitializeAsync()
    {
        await Servers.InitializeAsync();
        _layout = await TwoByTwoLayout.CreateAsync(Servers);
        _kamailio = await MixedDeployment.StartKamailioAsync("db_postgres.so", Master.Url, KamailioPort, _folder);
        foreach (var port in Processes.Ports)
            Processes.Start(port, new Dictionary<string, string>
            {
                ["LA_MASTER_DB_URL"] = Master.Url.Original, ["LA_LOCDB_POLL_INTERVAL"] = "1s", ["LA_SHARED_DATABASES"] = "on",
            });
        Processes.StartProxy(HttpPort, new Dictionary<string, string>
        {
            ["LA_SIP_ENDPOINT"] = $"127.0.0.1:{SipPort}", ["LA_CLUSTER_REFRESH_INTERVAL"] = "500ms", ["LA_MAX_EXPIRES"] = "3600",
            ["LA_ADMIN_TOKEN"] = MixedDeployment.AdminToken,
        });
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}"), Timeout = TimeSpan.FromSeconds(30) };
        await TwoByTwoLayout.UntilSettledAsync(Http, Processes, TimeSpan.FromSeconds(120));
    }

    public async Task DisposeAsync()
    {
        _kamailio?.Dispose();
        Processes.Dispose();
        Http?.Dispose();
        if (_layout is not null)
            await _layout.DisposeAsync();
        await Servers.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresMixedDeploymentCollection : ICollectionFixture<PostgresMixedDeployment>
{
    public const string Name = "Kamailio and LocationActors on PostgreSQL";
}

/// <summary>
/// What works beside Kamailio on PostgreSQL, and what Kamailio itself cannot do there: p_usrloc finds, through
/// <c>db_postgres</c>, every contact LocationActors stores, in the same groups and members; a REGISTER through p_usrloc
/// fails in <c>db_postgres</c> (Kamailio 5.6), so on PostgreSQL LocationActors is the registrar and p_usrloc proxies
/// only read (docs/migration.md, "On PostgreSQL").
/// </summary>
[Collection(PostgresMixedDeploymentCollection.Name)]
[Trait(Tier.Name, Tier.Kamailio)]
public sealed class PostgresMixedTests(PostgresMixedDeployment deployment, ITestOutputHelper output)
{
    private static int GroupOf(string user) => Partitioner.GroupOf(Aor.FromColumns(user, null), 2);

    private static async Task<IReadOnlyList<string>> RedirectAsync(int port, string user)
    {
        using var phone = new SipClient(port, MixedDeployment.SipLimit);
        return await phone.LookupAsync(user) ?? throw new Xunit.Sdk.XunitException($"a lookup of {user} on port {port} got neither 302 nor 404");
    }

    private static async Task<string> RegisterAsync(int port, string user, string callId, int cseq, string contact, string? extra = null)
    {
        using var peer = new SipUdpPeer(port);
        return await peer.AskAsync(SipText.Register(peer.Port, user, callId, cseq, contact, extra));
    }

    [Fact]
    public async Task Users_registered_through_location_actors_are_found_by_kamailios_lookup_on_both_members_of_their_group()
    {
        var users = Enumerable.Range(0, 200).Select(i => $"pg{i:D3}").ToList();
        foreach (var user in users)
        {
            // Every fourth user has a second phone, q 0.5 below the first.
            var contacts = $"<sip:{user}@192.0.2.10:5060>;q=1.0" + (user.EndsWith('0') || user.EndsWith('4') ? $", <sip:{user}@192.0.2.11:5060>;q=0.5" : "");
            var answer = await RegisterAsync(deployment.SipPort, user, $"{user}-call", 1, contacts);
            Assert.True(SipText.Status(answer) == 200, answer);
        }

        var rows = new Dictionary<(int, int), HashSet<string>>();
        foreach (var (key, member) in deployment.Members)
        {
            rows[key] = [];
            await foreach (var row in member.StreamAllAsync())
                rows[key].Add(row.Username);
        }

        foreach (var user in users)
        {
            var group = GroupOf(user);
            Assert.True(rows[(group, 1)].Contains(user) && rows[(group, 2)].Contains(user), $"{user} is not on both members of group {group}");
            Assert.False(rows[(3 - group, 1)].Contains(user) || rows[(3 - group, 2)].Contains(user), $"{user} is in group {3 - group}");
            var ours = await RedirectAsync(deployment.SipPort, user);
            Assert.Equal(ours.Order(), (await RedirectAsync(deployment.KamailioPort, user)).Order());
            Assert.Equal($"sip:{user}@192.0.2.10:5060", ours[0]); // q 1.0 first
        }

        output.WriteLine($"200 users (50 with two contacts) registered through LocationActors on PostgreSQL, each found by p_usrloc's lookup");
    }

    [Fact]
    public async Task A_registration_removed_through_location_actors_is_gone_for_kamailio_too()
    {
        Assert.Equal(200, SipText.Status(await RegisterAsync(deployment.SipPort, "pgrm", "pgrm-call", 1, "<sip:pgrm@192.0.2.12>")));
        Assert.Equal(["sip:pgrm@192.0.2.12"], await RedirectAsync(deployment.KamailioPort, "pgrm"));

        Assert.Equal(200, SipText.Status(await RegisterAsync(deployment.SipPort, "pgrm", "pgrm-call", 2, "<sip:pgrm@192.0.2.12>", "Expires: 0\r\n")));

        Assert.Empty(await RedirectAsync(deployment.KamailioPort, "pgrm"));
        using var response = await deployment.Http.GetAsync("/v1/aors/pgrm");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_member_in_maintenance_is_avoided_by_location_actors_and_kamailio_still_finds_the_user_on_the_other()
    {
        var user = "pgm" + Enumerable.Range(0, 1000).First(i => GroupOf($"pgm{i}") == 1);
        await deployment.Master.SetStatusAsync(1, 1, LocDbStatus.Maintenance);
        try
        {
            await UntilMemberAsync("LocationActors takes member 1/1 out of service", m => !m.GetProperty("active").GetBoolean());

            Assert.Equal(200, SipText.Status(await RegisterAsync(deployment.SipPort, user, $"{user}-call", 1, $"<sip:{user}@192.0.2.13>")));

            Assert.Empty(await deployment.Members[(1, 1)].LoadAorAsync(user, null));
            Assert.Single(await deployment.Members[(1, 2)].LoadAorAsync(user, null));
            Assert.Equal([$"sip:{user}@192.0.2.13"], await RedirectAsync(deployment.KamailioPort, user));
        }
        finally
        {
            // Back, and caught up: p_usrloc reads a member switched on without a failover stamp first, so a test after
            // this one must not find it still missing the writes of the maintenance.
            await deployment.Master.SetStatusAsync(1, 1, LocDbStatus.On);
            await UntilMemberAsync("member 1/1 is back and caught up", m => m.GetProperty("active").GetBoolean() && m.GetProperty("readable").GetBoolean());
        }
    }

    private Task UntilMemberAsync(string what, Func<System.Text.Json.JsonElement, bool> condition) =>
        Eventually.UntilAsync(what, async () => condition(System.Text.Json.JsonDocument.Parse(await deployment.Http.GetStringAsync("/v1/cluster")).RootElement
            .GetProperty("groups").EnumerateArray().First(g => g.GetProperty("id").GetInt32() == 1).GetProperty("members").EnumerateArray()
            .First(m => m.GetProperty("no").GetInt32() == 1)), TimeSpan.FromSeconds(60));

    /// <summary>
    /// Kamailio's own limit, kept as a test so that a Kamailio that lifts it shows here: p_usrloc stores a contact with
    /// the database API's replace, giving every column as the unique key and none to update, and db_postgres builds
    /// its replace as an UPDATE of the columns after the key followed by an INSERT: an UPDATE with nothing to set,
    /// which fails. Every REGISTER through p_usrloc on PostgreSQL is answered 500 and nothing is stored.
    /// </summary>
    [Fact]
    public async Task A_register_through_p_usrloc_fails_in_db_postgres_and_stores_nothing()
    {
        var answer = await RegisterAsync(deployment.KamailioPort, "pgkam", "pgkam-call", 1, "<sip:pgkam@192.0.2.14>");

        Assert.Equal(500, SipText.Status(answer));
        Assert.Contains(deployment.KamailioLogLines(), line => line.Contains("db_postgres_replace(): update failed", StringComparison.Ordinal));
        foreach (var member in deployment.Members.Values)
            Assert.Empty(await member.LoadAorAsync("pgkam", null));
    }
}
