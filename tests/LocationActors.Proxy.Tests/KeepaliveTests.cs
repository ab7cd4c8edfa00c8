using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LocationActors.TestSupport;
using Xunit.Abstractions;

namespace LocationActors.Proxy.Tests;

/// <summary>A deployment whose groups ping their contacts every 2 s and remove one after 2 unanswered pings.</summary>
public sealed class KeepaliveCluster : ProxiedCluster
{
    public const int IntervalSeconds = 2;
    public const int MaxMissed = 2;

    protected override IReadOnlyDictionary<string, string> NodeEnvironment { get; } = new Dictionary<string, string>
    {
        ["LA_KEEPALIVE_INTERVAL"] = $"{IntervalSeconds}s",
        ["LA_KEEPALIVE_MAX_MISSED"] = $"{MaxMissed}",
        ["LA_EXPIRY_INTERVAL"] = "1s",
    };

    protected override IReadOnlyDictionary<string, string> ProxyEnvironment { get; } = new Dictionary<string, string> { ["LA_MIN_EXPIRES"] = "1" };
}

/// <summary>
/// Keepalive and the change feed on real processes: three nodes, a proxy, phones on real UDP sockets that answer
/// SIP OPTIONS (or not), and a reader of <c>GET /v1/events</c>. Each live contact is pinged once per interval by the
/// group that owns it, from the proxy's SIP socket, also while the node of a group is killed and the group starts
/// again elsewhere; a contact that stops answering is removed; the feed sees every kind of change.
/// </summary>
[Collection(ProxyFailoverTests.Name)]
[Trait(Tier.Name, Tier.Process)]
public sealed class KeepaliveTests(KeepaliveCluster cluster, ITestOutputHelper output) : IClassFixture<KeepaliveCluster>
{
    private const int Phones = 24;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(KeepaliveCluster.IntervalSeconds);

    [Fact]
    public async Task Each_live_contact_is_pinged_once_per_interval_a_dead_one_is_removed_and_the_feed_sees_every_change()
    {
        await using var feed = new EventStreamReader(new Uri($"{cluster.ProxyUrl}/v1/events"));
        await UntilEveryNodeFeedsAsync(feed);

        var phones = Enumerable.Range(0, Phones).Select(_ => new KeepalivePhone()).ToList();
        using var dead = new KeepalivePhone { Mute = true };
        try
        {
            for (var i = 0; i < Phones; i++)
                await RegisterAsync($"ka-live-{i}", phones[i].Contact($"ka-live-{i}"));
            await RegisterAsync("ka-dead", dead.Contact("ka-dead"));
            var registered = DateTime.UtcNow;

            // Watched for six intervals: every live phone pinged in each, never twice in one, from the proxy's SIP socket.
            await Task.Delay(Interval * 6.5);
            var watchedFrom = registered + Interval;
            var watchedTo = DateTime.UtcNow;
            for (var i = 0; i < Phones; i++)
            {
                var pings = phones[i].OptionsFor($"ka-live-{i}").Where(o => o.At >= watchedFrom && o.At < watchedTo).ToList();
                Assert.InRange(pings.Count, 4, 6); // 5.5 intervals: 5 or 6, one fewer when a busy machine delays a tick past the end
                AssertNoTwoWithinAnInterval($"ka-live-{i}", phones[i].OptionsFor($"ka-live-{i}").Select(o => o.At).ToList());
                Assert.All(pings, p => Assert.Equal(cluster.SipPort, p.From.Port));
                Assert.Contains($"OPTIONS sip:ka-live-{i}@127.0.0.1:{phones[i].Port} SIP/2.0", pings[0].Text);
                Assert.Equal(HttpStatusCode.OK, (await cluster.Http.GetAsync($"/v1/aors/ka-live-{i}")).StatusCode);
            }

            // The mute phone: pinged, then removed after two unanswered pings, and the feed says why.
            Assert.True(dead.Options.Count >= KeepaliveCluster.MaxMissed, $"the mute phone got {dead.Options.Count} pings");
            await Eventually.UntilAsync("the mute phone's contact is removed",
                async () => (await cluster.Http.GetAsync("/v1/aors/ka-dead")).StatusCode == HttpStatusCode.NotFound, TimeSpan.FromSeconds(10));
            await Eventually.UntilAsync("the feed has its keepalive-failed", () => Task.FromResult(feed.Of("keepalive-failed", "ka-dead").Count == 1),
                TimeSpan.FromSeconds(5));
            Assert.Equal(dead.Contact("ka-dead"), feed.Of("keepalive-failed", "ka-dead")[0].GetProperty("uri").GetString());

            // Every other kind of change: inserted (above), refreshed, removed, expired.
            await RegisterAsync("ka-live-0", phones[0].Contact("ka-live-0"), cseq: 2);
            using (var removal = await cluster.Http.DeleteAsync("/v1/aors/ka-live-1"))
                Assert.True(removal.IsSuccessStatusCode);
            await RegisterAsync("ka-short", phones[2].Contact("ka-short"), expires: 2);
            await Eventually.UntilAsync("the feed has each kind", () => Task.FromResult(
                    feed.Of("refreshed", "ka-live-0").Count == 1 && feed.Of("removed", "ka-live-1").Count == 1 &&
                    feed.Of("expired", "ka-short").Count == 1),
                TimeSpan.FromSeconds(15), diagnostics: () => Task.FromResult(string.Join("\n", feed.Events.Select(e => $"{e.Name} {e.Data}"))));
            for (var i = 0; i < Phones; i++)
                Assert.Single(feed.Of("inserted", $"ka-live-{i}"));
            Assert.Single(feed.Of("inserted", "ka-dead"));
            var refreshed = feed.Of("refreshed", "ka-live-0")[0];
            Assert.Equal(feed.Of("inserted", "ka-live-0")[0].GetProperty("ruid").GetString(), refreshed.GetProperty("ruid").GetString());
            Assert.Matches(@"^location/[12]$", refreshed.GetProperty("group").GetString());
            Assert.DoesNotContain(feed.Events, e => e.Name is "removed" or "keepalive-failed" or "expired" &&
                                                    e.Data.GetProperty("aor").GetString()!.StartsWith("ka-live-", StringComparison.Ordinal) &&
                                                    e.Data.GetProperty("aor").GetString() != "ka-live-1");

            // A reader of one AOR sees only that AOR.
            await using var one = new EventStreamReader(new Uri($"{cluster.ProxyUrl}/v1/events?aor=ka-live-5"));
            await UntilEveryNodeFeedsAsync(one);
            await RegisterAsync("ka-live-4", phones[4].Contact("ka-live-4"), cseq: 2);
            await RegisterAsync("ka-live-5", phones[5].Contact("ka-live-5"), cseq: 2);
            await Eventually.UntilAsync("the filtered reader sees ka-live-5", () => Task.FromResult(one.Of("refreshed", "ka-live-5").Count == 1),
                TimeSpan.FromSeconds(5));
            Assert.All(one.Events, e => Assert.Equal("ka-live-5", e.Data.GetProperty("aor").GetString()));

            // An AOR that is not one is refused with a reason.
            using var bad = await cluster.Http.GetAsync("/v1/events?aor=" + Uri.EscapeDataString("sip:@"));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }
        finally
        {
            await RemoveAsync("ka-live", Phones);
            foreach (var phone in phones)
                phone.Dispose();
        }
    }

    [Fact]
    public async Task While_the_node_of_a_group_is_killed_no_contact_is_pinged_twice_in_an_interval_and_pinging_goes_on_after()
    {
        var phones = Enumerable.Range(0, Phones).Select(_ => new KeepalivePhone()).ToList();
        try
        {
            for (var i = 0; i < Phones; i++)
                await RegisterAsync($"ka-kill-{i}", phones[i].Contact($"ka-kill-{i}"));
            var victim = await ProxiedCluster.NodeHostingAsync(cluster.Http, groupId: 1);
            await Task.Delay(Interval * 2);
            cluster.Processes.Kill(victim);
            var killed = DateTime.UtcNow;
            output.WriteLine($"killed node {victim}");

            // The group starts again on a survivor once the dead node is downed, and pings its contacts from there.
            await Eventually.UntilAsync("every contact is pinged again after the kill", () => Task.FromResult(
                    phones.Select((p, i) => p.OptionsFor($"ka-kill-{i}").Count(o => o.At > killed)).All(n => n >= 3)),
                TimeSpan.FromSeconds(60), every: TimeSpan.FromSeconds(1),
                diagnostics: () => Task.FromResult(string.Join(", ", phones.Select((p, i) => p.OptionsFor($"ka-kill-{i}").Count(o => o.At > killed))) + "\n" +
                                                   cluster.Processes.Logs()));
            for (var i = 0; i < Phones; i++)
            {
                AssertNoTwoWithinAnInterval($"ka-kill-{i}", phones[i].OptionsFor($"ka-kill-{i}").Select(o => o.At).ToList());
                Assert.Equal(HttpStatusCode.OK, (await cluster.Http.GetAsync($"/v1/aors/ka-kill-{i}")).StatusCode);
            }
        }
        finally
        {
            await RemoveAsync("ka-kill", Phones);
            foreach (var phone in phones)
                phone.Dispose();
        }
    }

    /// <summary>The test's contacts go with its phones, so that a later phone given one of their ports gets no ping of theirs.</summary>
    private async Task RemoveAsync(string prefix, int count)
    {
        for (var i = 0; i < count; i++)
            using (await cluster.Http.DeleteAsync($"/v1/aors/{prefix}-{i}")) { }
    }

    /// <summary>
    /// Pings of one contact come about one interval apart (its second of the interval), never twice for one second: a
    /// second pinged twice (by two ticks, or by the old and the new node of a group) gives two pings milliseconds apart.
    /// A tick that a busy machine delays only moves a ping later, so the next one may come sooner than an interval.
    /// </summary>
    private static void AssertNoTwoWithinAnInterval(string who, List<DateTime> pings)
    {
        for (var n = 1; n < pings.Count; n++)
        {
            var gap = pings[n] - pings[n - 1];
            Assert.True(gap > Interval * 0.15, $"{who} was pinged twice within {gap.TotalMilliseconds:0} ms: at {pings[n - 1]:HH:mm:ss.fff} and {pings[n]:HH:mm:ss.fff}");
        }

        // And never more pings than intervals (plus the one at the start) over the whole time.
        if (pings.Count > 1)
            Assert.True(pings.Count <= (pings[^1] - pings[0]) / Interval + 2, $"{who} was pinged {pings.Count} times in {(pings[^1] - pings[0]).TotalSeconds:0.0} s");
    }

    private async Task RegisterAsync(string user, string contact, int cseq = 1, long? expires = null)
    {
        using var response = await cluster.Http.PostAsJsonAsync($"/v1/aors/{user}",
            new { contacts = new[] { new { uri = contact, expires } }, callId = $"call-{user}", cseq });
        Assert.True(response.IsSuccessStatusCode, $"{user}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Every node that is Up has confirmed it sends this reader's proxy its changes.</summary>
    private async Task UntilEveryNodeFeedsAsync(EventStreamReader reader) =>
        await Eventually.UntilAsync("every node feeds the stream", async () =>
        {
            var state = JsonDocument.Parse(await cluster.Http.GetStringAsync("/v1/cluster")).RootElement;
            var up = state.GetProperty("nodes").EnumerateArray().Where(n => n.GetProperty("status").GetString() == "Up")
                .Select(n => n.GetProperty("address").GetString()!).ToList();
            return up.Count > 0 && up.All(node => reader.Comments.Contains($"linked {node}"));
        }, TimeSpan.FromSeconds(30), diagnostics: () => Task.FromResult($"comments: {string.Join(" | ", reader.Comments)}; ended: {reader.Ended}"));
}
