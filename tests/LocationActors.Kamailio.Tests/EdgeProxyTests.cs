using System.Diagnostics;
using System.Net;
using System.Text.Json;
using LocationActors.TestSupport;
using Xunit.Abstractions;

namespace LocationActors.Kamailio.Tests;

/// <summary>
/// LocationActors behind real Kamailio edge proxies running the shipped deploy/kamailio/edge.cfg, once through the 302
/// (uac_redirect) and once through the HTTP API (http_client, jansson): phones register and are called through the
/// edge, sipp for many phones, <see cref="EdgePhone"/> where a test needs to see what reached which phone when.
/// </summary>
[Collection(MixedDeploymentCollection.Name)]
[Trait(Tier.Name, Tier.Kamailio)]
public sealed class EdgeProxyTests(MixedDeployment deployment, ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("la-edge-").FullName;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private async Task<JsonElement> StoredAsync(string user)
    {
        using var response = await deployment.Http.GetAsync($"/v1/aors/{user}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("contacts");
    }

    [Theory]
    [InlineData(EdgeLookup.Redirect)]
    [InlineData(EdgeLookup.Http)]
    public async Task Two_hundred_sipp_phones_registered_through_the_edge_are_each_called_through_to_the_phone(EdgeLookup lookup)
    {
        const int Phones = 200;
        var edge = await deployment.EdgeAsync(lookup);
        var users = Sipp.Users(_folder, $"edge{lookup.ToString().ToLowerInvariant()}", Phones);
        var phonesPort = NodeProcesses.FreePort();

        var register = await Sipp.RunAsync("register.xml", users, Phones, 200, edge.Port, _folder, phonesPort);
        Assert.True(register.ExitCode == 0, $"sipp register.xml through the edge exited {register.ExitCode}:\n{register.Errors}\n{edge.LastLines()}");
        using (var phones = Sipp.Start("phone.xml", Phones, phonesPort, _folder))
        {
            var calls = await Sipp.RunAsync("call.xml", users, Phones, 100, edge.Port, _folder);
            var answered = await phones.WaitAsync(TimeSpan.FromSeconds(calls.ExitCode == 0 ? 30 : 1));
            Assert.True(calls.ExitCode == 0 && answered.ExitCode == 0,
                $"sipp call.xml through the edge exited {calls.ExitCode}:\n{calls.Errors}\nthe sipp phones exited {answered.ExitCode}:\n{answered.Errors}\n{edge.LastLines()}");
        }

        output.WriteLine($"{Phones} REGISTERs and {Phones} calls (INVITE, 180, 200, ACK, BYE) through the edge ({lookup}), every one complete");
        // Each stored with the edge's Path, whose received names where the phone sent from.
        var stored = (await StoredAsync($"edge{lookup.ToString().ToLowerInvariant()}0000042"))[0];
        Assert.Equal($"<sip:127.0.0.1:{edge.Port};lr;received=sip:127.0.0.1:{phonesPort}>", stored.GetProperty("path").GetString());
    }

    [Theory]
    [InlineData(EdgeLookup.Redirect)]
    [InlineData(EdgeLookup.Http)]
    public async Task A_phone_behind_nat_is_reached_where_it_really_sends_from_and_keeps_its_instance_and_reg_id(EdgeLookup lookup)
    {
        var edge = await deployment.EdgeAsync(lookup);
        using var phone = new EdgePhone($"nat-{lookup}", _clock, natted: true);

        var registered = await phone.RegisterAsync(edge.Port, 1,
            contactParameters: ";+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-00000000ed9e>\";reg-id=1", extraHeaders: "Supported: path\r\n");

        Assert.Equal(200, SipText.Status(registered));
        var contact = Assert.Single(SipText.Headers(registered, "Contact"));
        Assert.StartsWith($"<{phone.Contact}>;expires=", contact);
        Assert.Contains(";+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-00000000ed9e>\";reg-id=1", contact);
        // The phone supports path: the 200 carries the Path the edge added (RFC 3327 §5.3).
        Assert.Equal([$"<sip:127.0.0.1:{edge.Port};lr;received=sip:127.0.0.1:{phone.Port}>"], SipText.Headers(registered, "Path"));
        // received is where the edge saw the phone, not the edge itself.
        Assert.Equal($"sip:127.0.0.1:{phone.Port}", (await StoredAsync(phone.User))[0].GetProperty("received").GetString());

        var call = await Caller.CallAsync(edge.Port, phone.User);

        Assert.True(call.Status == 200, $"the call ended {call.Status}:\n{call.FinalAnswer}\n{edge.LastLines()}");
        Assert.Equal(200, call.ByeStatus);
        // INVITE, ACK and BYE all reached the phone's socket although its Contact names 10.255.x.y.
        Assert.Equal(["INVITE", "ACK", "BYE"], phone.Received.Select(r => r.Method));
    }

    [Theory]
    [InlineData(EdgeLookup.Redirect)]
    [InlineData(EdgeLookup.Http)]
    public async Task A_phone_that_unregistered_through_the_edge_is_404_to_its_callers(EdgeLookup lookup)
    {
        var edge = await deployment.EdgeAsync(lookup);
        using var phone = new EdgePhone($"gone-{lookup}", _clock);
        Assert.Equal(200, SipText.Status(await phone.RegisterAsync(edge.Port, 1)));
        Assert.Equal(200, (await Caller.CallAsync(edge.Port, phone.User)).Status);

        Assert.Equal(200, SipText.Status(await phone.RegisterAsync(edge.Port, 2, expires: 0)));
        var call = await Caller.CallAsync(edge.Port, phone.User);

        Assert.Equal(404, call.Status);
        Assert.Single(phone.Received, r => r.Method == "INVITE"); // only the first call reached it
    }

    [Theory]
    [InlineData(EdgeLookup.Redirect)]
    [InlineData(EdgeLookup.Http)]
    public async Task Serial_forking_calls_the_higher_q_first_and_the_lower_after_it_failed(EdgeLookup lookup)
    {
        var edge = await deployment.EdgeAsync(lookup, serial: true);
        var user = $"serial-{lookup}";
        using var busy = new EdgePhone(user, _clock, status: 486, answerAfter: TimeSpan.FromMilliseconds(400)); // q 1.0
        using var spare = new EdgePhone(user, _clock); // q 0.5
        // The lower q registers first: the order is the q's, not the registrations'.
        Assert.Equal(200, SipText.Status(await spare.RegisterAsync(edge.Port, 1, contactParameters: ";q=0.5")));
        Assert.Equal(200, SipText.Status(await busy.RegisterAsync(edge.Port, 1, contactParameters: ";q=1.0")));

        var call = await Caller.CallAsync(edge.Port, user);

        Assert.True(call.Status == 200, $"the call ended {call.Status}:\n{call.FinalAnswer}\n{edge.LastLines()}");
        // In that order: q 1.0 rang and refused before q 0.5 was called at all.
        var (busyAnswered, spareCalled) = (busy.AnsweredAt!.Value, spare.FirstInviteAt!.Value);
        output.WriteLine($"q 1.0 called at {busy.FirstInviteAt!.Value.TotalMilliseconds:F0} ms, answered 486 at {busyAnswered.TotalMilliseconds:F0} ms; " +
                         $"q 0.5 called at {spareCalled.TotalMilliseconds:F0} ms");
        Assert.True(spareCalled > busyAnswered, "q 0.5 was called before q 1.0 had answered");
        Assert.Equal(["INVITE", "ACK", "BYE"], spare.Received.Select(r => r.Method));
    }

    [Theory]
    [InlineData(EdgeLookup.Redirect)]
    [InlineData(EdgeLookup.Http)]
    public async Task Parallel_forking_rings_every_contact_at_once_and_cancels_the_others_when_one_answers(EdgeLookup lookup)
    {
        var edge = await deployment.EdgeAsync(lookup);
        var user = $"parallel-{lookup}";
        using var answering = new EdgePhone(user, _clock, answerAfter: TimeSpan.FromMilliseconds(500)); // q 1.0
        using var ringing = new EdgePhone(user, _clock, status: 486, answerAfter: TimeSpan.FromSeconds(5)); // q 0.5, never gets to answer
        Assert.Equal(200, SipText.Status(await ringing.RegisterAsync(edge.Port, 1, contactParameters: ";q=0.5")));
        Assert.Equal(200, SipText.Status(await answering.RegisterAsync(edge.Port, 1, contactParameters: ";q=1.0")));

        var call = await Caller.CallAsync(edge.Port, user);

        Assert.True(call.Status == 200, $"the call ended {call.Status}:\n{call.FinalAnswer}\n{edge.LastLines()}");
        // Both rang before either answered: the q 0.5 phone was called before the q 1.0 phone took the call.
        Assert.True(ringing.FirstInviteAt!.Value < answering.AnsweredAt!.Value, "the q 0.5 phone was called only after the q 1.0 phone answered");
        await Eventually.UntilAsync("the other phone's INVITE is cancelled", () => Task.FromResult(ringing.Received.Any(r => r.Method == "CANCEL")),
            TimeSpan.FromSeconds(5), diagnostics: () => Task.FromResult($"it got {string.Join(", ", ringing.Received.Select(r => r.Method))}"));
    }

    [Fact]
    public async Task With_locationactors_stopped_a_caller_is_answered_480_within_a_second_through_either_lookup()
    {
        // A proxy of its own, so the deployment's stays up for the other tests.
        var (httpPort, sipPort) = (NodeProcesses.FreePort(), NodeProcesses.FreePort());
        deployment.Processes.StartProxy(httpPort, new Dictionary<string, string> { ["LA_SIP_ENDPOINT"] = $"127.0.0.1:{sipPort}" });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
        await Eventually.UntilAsync("the second proxy is ready", () => ReadyAsync(http), TimeSpan.FromSeconds(60),
            diagnostics: () => Task.FromResult(deployment.Processes.Logs()));
        using var redirect = await MixedDeployment.StartEdgeAsync(EdgeLookup.Redirect, false, sipPort, httpPort, Path.Combine(_folder, "redirect"));
        using var api = await MixedDeployment.StartEdgeAsync(EdgeLookup.Http, false, sipPort, httpPort, Path.Combine(_folder, "http"));
        using var phone = new EdgePhone("stopped-la", _clock);
        Assert.Equal(200, SipText.Status(await phone.RegisterAsync(redirect.Port, 1)));
        Assert.Equal(200, (await Caller.CallAsync(redirect.Port, phone.User)).Status);
        Assert.Equal(200, (await Caller.CallAsync(api.Port, phone.User)).Status);

        deployment.Processes.Kill(httpPort);

        foreach (var edge in new[] { redirect, api })
        {
            var call = await Caller.CallAsync(edge.Port, phone.User, TimeSpan.FromSeconds(5));
            output.WriteLine($"edge {edge.Port}: {call.Status} after {call.AnsweredAfter.TotalMilliseconds:F0} ms");
            Assert.Equal(480, call.Status);
            Assert.True(call.AnsweredAfter < TimeSpan.FromSeconds(1), $"answered after {call.AnsweredAfter.TotalMilliseconds:F0} ms");
        }
    }

    private static async Task<bool> ReadyAsync(HttpClient http)
    {
        try
        {
            return (await http.GetAsync("/health/ready")).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
