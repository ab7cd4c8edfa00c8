using System.Collections.Concurrent;
using Partitioner = LocationActors.Domain.Partitioning.Partitioner;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LocationActors.TestSupport;
using Xunit.Abstractions;

namespace LocationActors.Proxy.Tests;

/// <summary>The proxied deployment with 100,000 contacts in group 1, on both of its members, before any node starts.</summary>
public sealed class BigGroupCluster : ProxiedCluster
{
    public const int Contacts = 100_000;

    /// <summary>The users of group 1 (of 2), in order: the first <see cref="Contacts"/> are stored before the start.</summary>
    public static IEnumerable<string> GroupOneUsers() =>
        Enumerable.Range(0, int.MaxValue).Select(i => $"4970{i:D7}").Where(user => Partitioner.GroupOf(user, 2) == 1);

    public static string ContactOf(string user) => $"sip:{user}@192.0.2.{int.Parse(user[^2..], System.Globalization.CultureInfo.InvariantCulture) + 1}:5060";

    protected override async Task BeforeNodesStartAsync()
    {
        var expires = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 7200; // valid through the test, by the real clock
        var rows = GroupOneUsers().Take(Contacts).Select((user, i) => BindingFields.Sample(user, i) with { Contact = ContactOf(user), Expires = expires })
            .ToList();
        foreach (var chunk in rows.Chunk(5_000))
        {
            await Members[(1, 1)].UpsertAsync(chunk);
            await Members[(1, 2)].UpsertAsync(chunk);
        }
    }
}

/// <summary>
/// The node hosting a group of 100,000 contacts SIGKILLed while lookups (200/s) and REGISTERs (50/s) run: counted, no
/// lookup fails (the proxy reads the group's member while the node is being downed), no REGISTER fails once the group
/// serves again, and none that was stored is answered 400 (a copy the proxy sent again is a retransmission).
/// </summary>
[Collection(ProxyFailoverTests.Name)]
[Trait(Tier.Name, Tier.Process)]
public sealed class BigGroupFailoverTests(BigGroupCluster cluster, ITestOutputHelper output) : IClassFixture<BigGroupCluster>
{
    private static readonly TimeSpan LoadTime = TimeSpan.FromSeconds(40);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(4);

    private sealed record Outcome(string What, TimeSpan Sent, HttpStatusCode? Status, string Detail);

    [Fact]
    public async Task Killing_the_node_of_a_100000_contact_group_under_load_fails_no_lookup_and_no_register_once_it_serves_again()
    {
        var port = NodeProcesses.FreePort();
        cluster.StartProxy(port, null, environment: new Dictionary<string, string>
        {
            ["LA_MASTER_DB_URL"] = cluster.Master.Url.Original, ["LA_REQUEST_TIMEOUT"] = "25s",
        });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        await cluster.UntilReadyAsync(http);
        var victim = await ProxiedCluster.NodeHostingAsync(http, groupId: 1);
        var stored = BigGroupCluster.GroupOneUsers().Take(BigGroupCluster.Contacts).ToArray();

        using var patient = new HttpClient { BaseAddress = http.BaseAddress, Timeout = Patience };
        var outcomes = new ConcurrentBag<Outcome>();
        var sends = new List<Task>();
        var clock = Stopwatch.StartNew();
        TimeSpan? servesAgain = null;
        var watching = WatchGroupOneAsync(http, victim, clock, at => servesAgain ??= at, LoadTime + TimeSpan.FromSeconds(30));
        var random = new Random(11);
        for (var n = 0; clock.Elapsed < LoadTime; n++)
        {
            if (n == 1_000)
            {
                cluster.Processes.Kill(victim); // after 5 s of steady load
                output.WriteLine($"killed node {victim} at {clock.Elapsed.TotalSeconds:F1} s");
            }

            var sent = clock.Elapsed;
            if (n % 4 == 0)
            {
                var user = $"4971{n:D7}"; // a new user in either group
                sends.Add(Task.Run(async () =>
                {
                    using var response = await http.PostAsJsonAsync($"/v1/aors/{user}",
                        new { contacts = new[] { new { uri = $"sip:{user}@198.51.100.1:5060" } }, callId = $"big-{n}", cseq = 1 });
                    outcomes.Add(new Outcome("register " + user, sent, response.StatusCode, await response.Content.ReadAsStringAsync()));
                }));
            }
            else
            {
                var user = stored[random.Next(stored.Length)];
                sends.Add(Task.Run(async () =>
                {
                    try
                    {
                        using var response = await patient.GetAsync($"/v1/aors/{user}");
                        var body = await response.Content.ReadAsStringAsync();
                        var right = response.StatusCode == HttpStatusCode.OK && JsonDocument.Parse(body).RootElement.GetProperty("contacts").EnumerateArray()
                            .Select(c => c.GetProperty("uri").GetString()).SequenceEqual([BigGroupCluster.ContactOf(user)]);
                        outcomes.Add(new Outcome("lookup " + user, sent, right ? HttpStatusCode.OK : response.StatusCode, right ? "" : "wrong: " + body));
                    }
                    catch (TaskCanceledException)
                    {
                        outcomes.Add(new Outcome("lookup " + user, sent, null, $"no answer within {Patience.TotalSeconds} s"));
                    }
                }));
            }

            var next = TimeSpan.FromSeconds((n + 1) / 200.0);
            if (next > clock.Elapsed)
                await Task.Delay(next - clock.Elapsed);
        }

        await Task.WhenAll(sends);
        await watching;
        var lookups = outcomes.Where(o => o.What.StartsWith("lookup", StringComparison.Ordinal)).ToList();
        var registers = outcomes.Where(o => o.What.StartsWith("register", StringComparison.Ordinal)).ToList();
        var failedLookups = lookups.Where(o => o.Status != HttpStatusCode.OK).ToList();
        var refused = registers.Where(o => o.Status == HttpStatusCode.BadRequest).ToList();
        var failedAfter = registers.Where(o => o.Sent > servesAgain && o.Status is not (HttpStatusCode.OK or HttpStatusCode.Created)).ToList();
        var failedBefore = registers.Count(o => !(o.Sent > servesAgain) && o.Status is not (HttpStatusCode.OK or HttpStatusCode.Created));
        output.WriteLine($"group 1 served again at {servesAgain?.TotalSeconds:F1} s; {lookups.Count} lookups, {failedLookups.Count} failed; " +
                         $"{registers.Count} REGISTERs, {refused.Count} answered 400, {failedBefore} failed before the group served again, {failedAfter.Count} after");
        foreach (var failure in failedLookups.Concat(refused).Concat(failedAfter).Take(20))
            output.WriteLine($"{failure.What} sent at {failure.Sent.TotalSeconds:F1} s: {(int?)failure.Status} {failure.Detail}");

        Assert.NotNull(servesAgain);
        Assert.Empty(failedLookups);
        Assert.Empty(refused);
        Assert.Empty(failedAfter);
        // Every REGISTER that was answered OK is found.
        foreach (var register in registers.Where(o => o.Status is HttpStatusCode.OK or HttpStatusCode.Created))
        {
            var user = register.What["register ".Length..];
            var found = JsonDocument.Parse(await http.GetStringAsync($"/v1/aors/{user}")).RootElement.GetProperty("contacts");
            Assert.Equal([$"sip:{user}@198.51.100.1:5060"], found.EnumerateArray().Select(c => c.GetProperty("uri").GetString()));
        }
    }

    /// <summary>Reports when group 1 serves again (loading or serving) on a node other than <paramref name="victim"/>.</summary>
    private static async Task WatchGroupOneAsync(HttpClient http, int victim, Stopwatch clock, Action<TimeSpan> servesAgain, TimeSpan until)
    {
        while (clock.Elapsed < until)
        {
            try
            {
                var groups = JsonDocument.Parse(await http.GetStringAsync("/v1/cluster")).RootElement.GetProperty("groups");
                var one = groups.EnumerateArray().First(g => g.GetProperty("id").GetInt32() == 1);
                if (one.GetProperty("node").GetString() is { } node && !node.EndsWith($":{victim}", StringComparison.Ordinal) &&
                    one.GetProperty("state").GetString() is "serving" or "loading")
                {
                    servesAgain(clock.Elapsed);
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                // asked again
            }

            await Task.Delay(250);
        }
    }
}
