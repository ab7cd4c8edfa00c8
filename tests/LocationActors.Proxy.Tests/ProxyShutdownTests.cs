using System.Net;
using System.Text.Json;
using LocationActors.TestSupport;
using Xunit.Abstractions;

namespace LocationActors.Proxy.Tests;

/// <summary>A proxy stopped in order (SIGTERM, as a supervisor or a rolling restart stops it), in front of real nodes.</summary>
[Collection(ProxiedClusterCollection.Name)]
[Trait(Tier.Name, Tier.Process)]
public sealed class ProxyShutdownTests(ProxiedCluster cluster, ITestOutputHelper output)
{
    // Their answers (about 500 bytes each) fit the kernel's default UDP receive buffer even if the reader falls behind
    // on a busy machine: a datagram dropped on the phone's side would look like a transaction left unanswered.
    private const int Registrations = 400;

    [Fact]
    public async Task A_proxy_stopped_with_sigterm_answers_every_register_it_received_and_what_it_acknowledged_is_stored()
    {
        var (httpPort, sipPort) = (NodeProcesses.FreePort(), NodeProcesses.FreePort());
        cluster.StartProxy(httpPort, adminToken: null, sipPort);
        using (var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") })
            await cluster.UntilReadyAsync(http);

        // A burst the proxy is still working through when it is told to stop; answers are read as they come.
        using var phone = new SipUdpPeer(sipPort);
        var finals = new Dictionary<string, int>();
        var retryAfterMissing = 0;
        var reading = Task.Run(async () =>
        {
            while (await phone.ReceiveAsync(TimeSpan.FromSeconds(5)) is { } answer)
            {
                var status = SipText.Status(answer);
                if (status < 200)
                    continue;
                finals[SipText.Headers(answer, "Call-ID")[0]] = status;
                if (status == 503 && SipText.Headers(answer, "Retry-After").Count == 0)
                    retryAfterMissing++; // a 503 must send the phone to another server
            }
        });
        for (var i = 0; i < Registrations; i++)
            await phone.SendAsync(SipText.Register(phone.Port, $"drain{i}", $"drain-{i}", 1, $"<sip:drain{i}@192.0.2.9:5060>"));
        cluster.Processes.Signal(httpPort, "TERM");
        await reading;

        await Eventually.UntilAsync("the proxy process ends", () => Task.FromResult(cluster.Processes.HasExited(httpPort)), TimeSpan.FromSeconds(20));
        var stored = finals.Where(f => f.Value == 200).Select(f => f.Key["drain-".Length..]).ToList();
        output.WriteLine($"{Registrations} REGISTERs before SIGTERM: {stored.Count} answered 200, {finals.Count(f => f.Value == 503)} answered 503");
        Assert.Equal(Registrations, finals.Count);
        Assert.Equal(0, retryAfterMissing);
        Assert.All(finals.Values, status => Assert.Contains(status, new[] { 200, 503 }));
        Assert.NotEmpty(stored);
        foreach (var i in stored)
        {
            using var found = await cluster.Http.GetAsync($"/v1/aors/drain{i}");
            Assert.True(found.StatusCode == HttpStatusCode.OK, $"drain{i} was acknowledged but is not found");
            Assert.Equal($"sip:drain{i}@192.0.2.9:5060",
                JsonDocument.Parse(await found.Content.ReadAsStringAsync()).RootElement.GetProperty("contacts")[0].GetProperty("uri").GetString());
        }
    }
}
