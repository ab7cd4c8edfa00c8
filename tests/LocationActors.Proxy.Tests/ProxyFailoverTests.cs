using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LocationActors.TestSupport;
using Xunit.Abstractions;

namespace LocationActors.Proxy.Tests;

/// <summary>Nodes killed under the proxy's feet, on a deployment of its own (these tests break it).</summary>
[Collection(Name)]
[Trait(Tier.Name, Tier.Process)]
public sealed class ProxyFailoverTests(ProxiedCluster cluster, ITestOutputHelper output) : IClassFixture<ProxiedCluster>
{
    public const string Name = "Proxy failover";
    private const int Users = 40;

    private HttpClient Http => cluster.Http;

    private static string User(int i) => $"4950{i:D4}";

    private static string ContactOf(int i) => $"sip:{User(i)}@192.0.2.{i + 1}:5060";

    private async Task RegisterAllAsync()
    {
        for (var i = 0; i < Users; i++)
        {
            var response = await Http.PostAsJsonAsync($"/v1/aors/{User(i)}", new { contacts = new[] { new { uri = ContactOf(i) } }, callId = $"c{i}", cseq = 1 });
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Lookups_keep_being_answered_right_while_a_node_dies_and_with_every_node_gone_the_proxy_answers_503_in_time()
    {
        await RegisterAllAsync();
        var victim = await ProxiedCluster.NodeHostingAsync(Http, groupId: 1);
        var host = $"node {victim}";

        cluster.Processes.Kill(victim);
        var killed = Stopwatch.StartNew();
        var (answered, retried, longest) = (0, 0, TimeSpan.Zero);
        var round = 0;
        while (killed.Elapsed < TimeSpan.FromSeconds(40))
        {
            var i = round++ % Users;
            var asked = Stopwatch.StartNew();
            while (true)
            {
                using var response = await Http.GetAsync($"/v1/aors/{User(i)}");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var contacts = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("contacts");
                    Assert.Equal([ContactOf(i)], contacts.EnumerateArray().Select(c => c.GetProperty("uri").GetString())); // never a wrong answer
                    break;
                }

                // "Unavailable" may be retried; "not found" for a registered user would be a wrong answer.
                Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                Assert.True(asked.Elapsed < TimeSpan.FromSeconds(60), $"{User(i)} not answered for a minute after the kill\n{cluster.Processes.Logs()}");
                retried++;
                await Task.Delay(200);
            }

            answered++;
            longest = asked.Elapsed > longest ? asked.Elapsed : longest;
        }

        output.WriteLine($"{answered} lookups answered right after killing {host}; {retried} answers 503 (retried); longest wait {longest.TotalSeconds:F1} s");

        foreach (var port in cluster.Processes.Ports.Where(p => p != victim))
            cluster.Processes.Kill(port);
        var asking = Stopwatch.StartNew();
        using var unavailable = await Http.GetAsync($"/v1/aors/{User(1)}");
        using var refused = await Http.PostAsJsonAsync($"/v1/aors/{User(1)}", new { contacts = new[] { new { uri = ContactOf(1) } } });
        output.WriteLine($"with every node gone: {(int)unavailable.StatusCode} and {(int)refused.StatusCode} in {asking.Elapsed.TotalSeconds:F1} s");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("1", unavailable.Headers.RetryAfter?.ToString());
        Assert.Contains("did not answer", (await ProxiedCluster.JsonAsync(unavailable)).GetProperty("error").GetString());
        // The request timeout is 3 s per request: both answers come well before any client would give up.
        Assert.True(asking.Elapsed < TimeSpan.FromSeconds(15), $"the proxy took {asking.Elapsed} to say it cannot answer");

        // Over SIP: a REGISTER is 503 and a call 480, both with Retry-After and the reason in a Warning.
        using var peer = new SipUdpPeer(cluster.SipPort);
        var register = await peer.AskAsync(SipText.Register(peer.Port, User(2), "down-1", 1, $"<{ContactOf(2)}>"));
        Assert.Equal(503, SipText.Status(register));
        // retry-after 5 s, raised at random by up to retry-after-range (100 %).
        Assert.InRange(int.Parse(Assert.Single(SipText.Headers(register, "Retry-After")), System.Globalization.CultureInfo.InvariantCulture), 5, 10);
        Assert.Contains("did not answer", SipText.Headers(register, "Warning")[0]);
        var invite = await peer.AskAsync(SipText.Request("INVITE", $"sip:{User(2)}@example.com", peer.Port));
        Assert.Equal(480, SipText.Status(invite));
        Assert.InRange(int.Parse(Assert.Single(SipText.Headers(invite, "Retry-After")), System.Globalization.CultureInfo.InvariantCulture), 5, 10);
    }
}

[CollectionDefinition(ProxyFailoverTests.Name)]
public sealed class ProxyFailoverCollection;
