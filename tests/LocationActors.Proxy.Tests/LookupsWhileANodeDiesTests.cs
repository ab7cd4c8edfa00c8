using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LocationActors.TestSupport;
using Xunit.Abstractions;

namespace LocationActors.Proxy.Tests;

/// <summary>
/// Lookups at a steady rate while the node hosting a group is SIGKILLed: the cluster needs about 16 s to down it,
/// and meanwhile the proxy reads the group's members itself (proxy.member-reads), so no lookup fails. On a deployment
/// of its own, after the other failover tests (same collection: never two deployments under load at once).
/// </summary>
[Collection(ProxyFailoverTests.Name)]
[Trait(Tier.Name, Tier.Process)]
public sealed class LookupsWhileANodeDiesTests(ProxiedCluster cluster, ITestOutputHelper output) : IClassFixture<ProxiedCluster>
{
    private const int Users = 10_000;
    private const int LookupsPerSecond = 200;
    private static readonly TimeSpan LoadTime = TimeSpan.FromSeconds(35);

    /// <summary>A caller's patience: an answer later than this is a failed lookup (a SIP proxy has moved on by then).</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(4);

    private static string User(int i) => $"4960{i:D5}";

    private static string ContactOf(int i) => $"sip:{User(i)}@192.0.2.{i % 250 + 1}:{5060 + i % 1000}";

    [Fact]
    public async Task With_10000_users_and_200_lookups_a_second_no_lookup_fails_while_the_node_of_a_group_is_killed()
    {
        // A proxy that may read members, with the cluster's full request timeout: without member reads, a lookup of
        // the killed node's group waits for the group to restart elsewhere (about 16 s) and fails the caller's patience.
        var port = NodeProcesses.FreePort();
        cluster.StartProxy(port, null, environment: new Dictionary<string, string>
        {
            ["LA_MASTER_DB_URL"] = cluster.Master.Url.Original,
            ["LA_REQUEST_TIMEOUT"] = "25s",
        });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        await cluster.UntilReadyAsync(http);

        await Parallel.ForEachAsync(Enumerable.Range(0, Users), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            using var response = await http.PostAsJsonAsync($"/v1/aors/{User(i)}", new { contacts = new[] { new { uri = ContactOf(i) } }, callId = $"c{i}", cseq = 1 }, ct);
            Assert.True(response.IsSuccessStatusCode, $"{User(i)}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        });
        var victim = await ProxiedCluster.NodeHostingAsync(http, groupId: 1);

        using var patient = new HttpClient { BaseAddress = http.BaseAddress, Timeout = Patience };
        var (answered, wrong, failed) = (0, 0, 0);
        var failures = new List<string>();
        var lookups = new List<Task>();
        var clock = Stopwatch.StartNew();
        var random = new Random(7);
        for (var n = 0; clock.Elapsed < LoadTime; n++)
        {
            if (n == LookupsPerSecond * 5)
            {
                cluster.Processes.Kill(victim); // after 5 s of steady load
                output.WriteLine($"killed node {victim} at {clock.Elapsed.TotalSeconds:F1} s");
            }

            var i = random.Next(Users);
            var sent = clock.Elapsed;
            lookups.Add(Task.Run(async () =>
            {
                string? problem;
                try
                {
                    using var response = await patient.GetAsync($"/v1/aors/{User(i)}");
                    var body = await response.Content.ReadAsStringAsync();
                    problem = response.StatusCode != HttpStatusCode.OK ? $"{(int)response.StatusCode} {body}"
                        : JsonDocument.Parse(body).RootElement.GetProperty("contacts").EnumerateArray().Select(c => c.GetProperty("uri").GetString()).SequenceEqual([ContactOf(i)])
                            ? null : $"wrong answer {body}";
                }
                catch (TaskCanceledException)
                {
                    problem = $"no answer within {Patience.TotalSeconds} s";
                }

                lock (failures)
                {
                    if (problem is null)
                        answered++;
                    else
                    {
                        if (problem.StartsWith("wrong", StringComparison.Ordinal))
                            wrong++;
                        else
                            failed++;
                        failures.Add($"{User(i)} sent at {sent.TotalSeconds:F1} s: {problem}");
                    }
                }
            }));
            var next = TimeSpan.FromSeconds((n + 1) / (double)LookupsPerSecond);
            if (next > clock.Elapsed)
                await Task.Delay(next - clock.Elapsed);
        }

        await Task.WhenAll(lookups);
        var metrics = await http.GetStringAsync("/metrics");
        var memberReads = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("location_proxy_member_reads_total{outcome=\"answered\"}", StringComparison.Ordinal));
        output.WriteLine($"{lookups.Count} lookups: {answered} answered right, {wrong} wrong, {failed} failed; {memberReads ?? "no member reads"}");
        foreach (var failure in failures.Take(20))
            output.WriteLine(failure);
        if (failed + wrong > 0)
            output.WriteLine(cluster.Processes.Logs(40)); // what the proxy and the nodes said about it

        Assert.Equal(0, wrong);
        Assert.Equal(0, failed);
        Assert.Equal(lookups.Count, answered);
        Assert.NotNull(memberReads); // the window was real: some lookups were answered from a member
    }
}
