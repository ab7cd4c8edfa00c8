using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using LocationActors.TestSupport;
using YamlDotNet.RepresentationModel;

namespace LocationActors.Proxy.Tests.Deployment;

/// <summary>
/// Every metric that deploy/prometheus/alerts.yml and deploy/grafana/locationactors.json use is one that a running
/// proxy or node exports: a renamed metric would otherwise leave an alert that never fires and an empty panel.
/// </summary>
[Collection(ProxiedClusterCollection.Name)]
[Trait(Tier.Name, Tier.Process)]
public sealed partial class MonitoredMetricsTests(ProxiedCluster cluster)
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(10) };
    private static readonly string Deploy = Path.Combine(MariaDbServers.RepositoryRoot, "deploy");

    [Fact]
    public async Task Every_metric_of_the_alert_rules_and_the_dashboard_is_exported()
    {
        var rules = AlertExpressions().SelectMany(MetricNames).ToHashSet();
        var panels = DashboardExpressions().SelectMany(MetricNames).ToHashSet();
        Assert.True(rules.Count >= 6, $"the alert rules name {rules.Count} metrics: {string.Join(", ", rules)}");
        Assert.True(panels.Count >= 15, $"the dashboard names {panels.Count} metrics: {string.Join(", ", panels)}");

        // Traffic, so that the labelled series exist: a registration, a lookup that finds it and one that does not.
        var registered = await cluster.Http.PostAsJsonAsync("/v1/aors/monitored-user", new { contacts = new[] { new { uri = "sip:monitored-user@192.0.2.81:5060" } } });
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await cluster.Http.GetAsync("/v1/aors/monitored-user")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await cluster.Http.GetAsync("/v1/aors/monitored-nobody")).StatusCode);

        var used = rules.Union(panels).ToList();
        var exported = new HashSet<string>();
        await Eventually.UntilAsync("every metric the files use is exported by the proxy or a node", async () =>
        {
            exported.Clear();
            foreach (var scrape in await ScrapesAsync())
                exported.UnionWith(TypeLine().Matches(scrape).Select(m => m.Groups[1].Value));
            return used.All(n => exported.Contains(Family(n)));
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500),
            diagnostics: () => Task.FromResult($"not exported: {string.Join(", ", used.Where(n => !exported.Contains(Family(n))))}"));
    }

    /// <summary>The proxy's metrics and every node's (their endpoints from <c>GET /v1/cluster</c>).</summary>
    private async Task<List<string>> ScrapesAsync()
    {
        var scrapes = new List<string> { await cluster.Http.GetStringAsync("/metrics") };
        using var state = JsonDocument.Parse(await cluster.Http.GetStringAsync("/v1/cluster"));
        foreach (var node in state.RootElement.GetProperty("nodes").EnumerateArray())
            if (node.TryGetProperty("http", out var http) && http.GetString() is { Length: > 0 } endpoint)
                scrapes.Add(await Client.GetStringAsync($"http://{endpoint}/metrics"));
        return scrapes;
    }

    private static IEnumerable<string> AlertExpressions()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(Deploy, "prometheus", "alerts.yml"))));
        var groups = (YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["groups"];
        return groups.Cast<YamlMappingNode>().SelectMany(g => ((YamlSequenceNode)g["rules"]).Cast<YamlMappingNode>()).Select(r => r["expr"].ToString());
    }

    private static IEnumerable<string> DashboardExpressions()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Deploy, "grafana", "locationactors.json")));
        return dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!)
            .ToList();
    }

    private static IEnumerable<string> MetricNames(string expression) => MetricName().Matches(expression).Select(m => m.Value);

    /// <summary>The family a series name belongs to: a histogram's _bucket, _sum and _count are its own name in # TYPE.</summary>
    private static string Family(string name) => HistogramSeries().Replace(name, "");

    [GeneratedRegex(@"\blocation_[a-z0-9_]+\b")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"_(bucket|sum|count)$")]
    private static partial Regex HistogramSeries();

    [GeneratedRegex(@"^# TYPE (\S+) ", RegexOptions.Multiline)]
    private static partial Regex TypeLine();
}
