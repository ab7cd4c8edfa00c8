using System.Diagnostics;
using System.Net;
using System.Text.Json;
using LocationActors.TestSupport;

namespace LocationActors.Kamailio.Tests;

/// <summary>
/// LocationActors with keepalive on (every 2 s, removed after 2 unanswered) behind a real Kamailio edge running the
/// shipped deploy/kamailio/edge.cfg: one node, a proxy, the edge, on real MariaDB databases. Its own deployment, so
/// that no other test's contacts are pinged.
/// </summary>
public sealed class KeepaliveEdgeDeployment : IAsyncLifetime
{
    private readonly MariaDbServers _servers = new();
    private readonly string _folder = Directory.CreateTempSubdirectory("la-edge-keepalive-").FullName;
    private TwoByTwoLayout? _layout;

    public NodeProcesses Processes { get; } = new(1);

    public int HttpPort { get; } = NodeProcesses.FreePort();

    public int SipPort { get; } = NodeProcesses.FreePort();

    public HttpClient Http { get; private set; } = null!;

    public KamailioProcess Edge { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _servers.InitializeAsync();
        _layout = await TwoByTwoLayout.CreateAsync(_servers);
        Processes.Start(Processes.Ports[0], new Dictionary<string, string>
        {
            ["LA_MASTER_DB_URL"] = _layout.Master.Url.Original,
            ["LA_KEEPALIVE_INTERVAL"] = "2s",
            ["LA_KEEPALIVE_MAX_MISSED"] = "2",
        });
        Processes.StartProxy(HttpPort, new Dictionary<string, string>
        {
            ["LA_SIP_ENDPOINT"] = $"127.0.0.1:{SipPort}",
            ["LA_CLUSTER_REFRESH_INTERVAL"] = "500ms",
        });
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}"), Timeout = TimeSpan.FromSeconds(30) };
        await Eventually.UntilAsync("both groups serve on the one node", async () =>
            JsonDocument.Parse(await Http.GetStringAsync("/v1/cluster")).RootElement.GetProperty("groups").EnumerateArray()
                .Count(g => g.GetProperty("state").GetString() == "serving") == 2, TimeSpan.FromSeconds(120),
            notYet: e => e is HttpRequestException, diagnostics: () => Task.FromResult(Processes.Logs()));
        Edge = await MixedDeployment.StartEdgeAsync(EdgeLookup.Redirect, false, SipPort, HttpPort, Path.Combine(_folder, "edge"));
    }

    public async Task DisposeAsync()
    {
        Edge?.Dispose();
        Processes.Dispose();
        Http?.Dispose();
        if (_layout is not null)
            await _layout.DisposeAsync();
        await _servers.DisposeAsync();
    }
}

/// <summary>
/// A phone behind NAT registered through the edge is kept alive through that edge: the group's OPTIONS goes to the
/// edge by the stored Path, and the edge relays it to where the phone really sends from (the Path's received), so the
/// NAT binding towards the edge stays open. When the phone stops answering, its contact is removed.
/// </summary>
[Collection(MixedDeploymentCollection.Name)]
[Trait(Tier.Name, Tier.Kamailio)]
public sealed class EdgeKeepaliveTests(KeepaliveEdgeDeployment deployment) : IClassFixture<KeepaliveEdgeDeployment>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    [Fact]
    public async Task A_natted_phone_is_pinged_through_the_edge_it_registered_through_and_removed_once_it_stops_answering()
    {
        var edge = deployment.Edge;
        using var phone = new EdgePhone("ka-natted", _clock, natted: true);
        Assert.Equal(200, SipText.Status(await phone.RegisterAsync(edge.Port, 1, extraHeaders: "Supported: path\r\n")));

        // Pinged every 2 s, each time from the edge (not from LocationActors, whose packets the NAT would drop).
        await Eventually.UntilAsync("the phone gets three pings", () => Task.FromResult(phone.OptionsFrom.Count >= 3), TimeSpan.FromSeconds(15),
            diagnostics: () => Task.FromResult(string.Join("\n", edge.LastLines())));
        Assert.All(phone.OptionsFrom, from => Assert.Equal(edge.Port, from.Port));
        Assert.Equal(HttpStatusCode.OK, (await deployment.Http.GetAsync($"/v1/aors/{phone.User}")).StatusCode);

        // Gone quiet: after two unanswered pings the contact is removed, and a call finds nobody.
        phone.AnswersOptions = false;
        await Eventually.UntilAsync("the silent phone's contact is removed",
            async () => (await deployment.Http.GetAsync($"/v1/aors/{phone.User}")).StatusCode == HttpStatusCode.NotFound, TimeSpan.FromSeconds(20));
        Assert.Equal(404, (await Caller.CallAsync(edge.Port, phone.User)).Status);
    }
}
