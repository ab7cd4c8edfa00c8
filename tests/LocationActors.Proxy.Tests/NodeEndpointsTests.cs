using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LocationActors.TestSupport;

namespace LocationActors.Proxy.Tests;

/// <summary>Every node's own HTTP endpoint, found through the proxy's <c>GET /v1/cluster</c>: health and metrics.</summary>
[Collection(ProxiedClusterCollection.Name)]
[Trait(Tier.Name, Tier.Process)]
public sealed class NodeEndpointsTests(ProxiedCluster cluster)
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(10) };

    private async Task<List<string>> NodeEndpointsAsync()
    {
        using var state = JsonDocument.Parse(await cluster.Http.GetStringAsync("/v1/cluster"));
        return state.RootElement.GetProperty("nodes").EnumerateArray()
            .Where(n => n.GetProperty("roles").EnumerateArray().Any(r => r.GetString() == "location"))
            .Select(n => n.TryGetProperty("http", out var http) ? http.GetString() ?? "" : "")
            .ToList();
    }

    [Fact]
    public async Task Every_node_names_its_http_endpoint_and_answers_live_and_ready_there()
    {
        var endpoints = await NodeEndpointsAsync();

        Assert.Equal(3, endpoints.Count);
        Assert.All(endpoints, e => Assert.StartsWith("127.0.0.1:", e)); // loopback by default, as every listener
        Assert.Equal(3, endpoints.Distinct().Count());
        foreach (var endpoint in endpoints)
        {
            Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync($"http://{endpoint}/health/live")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync($"http://{endpoint}/health/ready")).StatusCode);
        }
    }

    [Fact]
    public async Task The_nodes_metrics_show_their_groups_and_the_batches_their_members_stored()
    {
        var registered = await cluster.Http.PostAsJsonAsync("/v1/aors/metrics-user",
            new { contacts = new[] { new { uri = "sip:metrics-user@192.0.2.80:5060" } } });
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);

        var scrapes = new List<string>();
        await Eventually.UntilAsync("the nodes report their groups' contacts (at the next watch tick) and the batch", async () =>
        {
            scrapes.Clear();
            foreach (var endpoint in await NodeEndpointsAsync())
                scrapes.Add(await Client.GetStringAsync($"http://{endpoint}/metrics"));
            var all = string.Join('\n', scrapes);
            return all.Contains("location_node_group_contacts{group=\"location/1\"}") && all.Contains("location_node_group_contacts{group=\"location/2\"}")
                && all.Contains("location_node_member_batch_seconds_count{") && all.Contains("location_node_gc_pause_seconds_total");
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500), diagnostics: () => Task.FromResult(string.Join("\n----\n", scrapes)));

        // Each group is reported by the one node that hosts it.
        Assert.Equal(1, scrapes.Count(s => s.Contains("location_node_group_contacts{group=\"location/1\"}")));
        Assert.Equal(1, scrapes.Count(s => s.Contains("location_node_group_contacts{group=\"location/2\"}")));
    }
}
