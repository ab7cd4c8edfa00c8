using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using LocationActors.TestSupport;
using Xunit.Abstractions;

namespace LocationActors.Proxy.Tests;

/// <summary>The SIP front end of a real proxy in front of three real nodes: the real sipp, and SIP written by hand.</summary>
[Collection(ProxiedClusterCollection.Name)]
[Trait(Tier.Name, Tier.Process)]
public sealed class SipFrontEndTests(ProxiedCluster cluster, ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("la-sipp-").FullName;

    private async Task<JsonElement?> LookupAsync(string user)
    {
        using var response = await cluster.Http.GetAsync($"/v1/aors/{user}");
        return response.StatusCode == HttpStatusCode.OK ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement : null;
    }

    [Fact]
    public async Task Ten_thousand_users_registered_with_sipp_are_each_found_with_invite_302_and_unregistered()
    {
        const int Users = 10_000;
        var users = Sipp.Users(_folder, "sippuser", Users);

        var register = await Sipp.RunAsync("register.xml", users, Users, 1000, cluster.SipPort, _folder);
        Assert.True(register.ExitCode == 0, $"sipp register.xml exited {register.ExitCode}:\n{register.Errors}");
        var invite = await Sipp.RunAsync("invite302.xml", users, Users, 1000, cluster.SipPort, _folder);
        Assert.True(invite.ExitCode == 0, $"sipp invite302.xml exited {invite.ExitCode}:\n{invite.Errors}");
        output.WriteLine($"{Users} REGISTERs and {Users} INVITE→302 through sipp, every call successful");

        // What sipp registered is what the location service holds (any of the users will do; sipp's contact has its port).
        var found = await LookupAsync("sippuser0004242");
        Assert.Equal($"sip:sippuser0004242@127.0.0.1:{register.LocalPort}", found?.GetProperty("contacts")[0].GetProperty("uri").GetString());

        var few = Sipp.Users(_folder, "sippuser", 100);
        var unregister = await Sipp.RunAsync("unregister.xml", few, 100, 100, cluster.SipPort, _folder, register.LocalPort);
        Assert.True(unregister.ExitCode == 0, $"sipp unregister.xml exited {unregister.ExitCode}:\n{unregister.Errors}");
        Assert.Null(await LookupAsync("sippuser0000042"));
        Assert.NotNull(await LookupAsync("sippuser0000142"));
    }

    private async Task<(int Code, string Output)> SipsakAsync(params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo("sipsak", args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = System.Diagnostics.Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task Sipsak_pings_with_options_registers_a_contact_and_removes_it()
    {
        var server = $"sip:omar@127.0.0.1:{cluster.SipPort}";

        var ping = await SipsakAsync("-vv", "-s", $"sip:127.0.0.1:{cluster.SipPort}");
        Assert.True(ping.Code == 0, ping.Output);
        Assert.Contains("200 OK", ping.Output);

        var register = await SipsakAsync("-U", "-C", "sip:omar@192.0.2.55:5070", "-x", "300", "-vv", "-s", server);
        output.WriteLine(register.Output);
        var found = await LookupAsync("omar");
        Assert.Equal("sip:omar@192.0.2.55:5070", found?.GetProperty("contacts")[0].GetProperty("uri").GetString());

        var remove = await SipsakAsync("-U", "-C", "sip:omar@192.0.2.55:5070", "-x", "0", "-vv", "-s", server);
        output.WriteLine(remove.Output);
        Assert.Null(await LookupAsync("omar"));
    }

    [Fact]
    public async Task A_register_is_answered_with_every_binding_and_contact_star_removes_them_all()
    {
        using var peer = new SipUdpPeer(cluster.SipPort);

        var first = await peer.AskAsync(SipText.Register(peer.Port, "jane", "jane-1", 1, "<sip:jane@192.0.2.1:5060>;q=0.4", "Expires: 600\r\n"));
        var second = await peer.AskAsync(SipText.Register(peer.Port, "jane", "jane-1", 2, "<sip:jane@192.0.2.2:5060>;q=0.9;expires=300"));

        Assert.Equal(200, SipText.Status(first));
        Assert.Equal(200, SipText.Status(second));
        var contacts = SipText.Headers(second, "Contact");
        Assert.Equal(2, contacts.Count);
        Assert.Contains(contacts, c => c.StartsWith("<sip:jane@192.0.2.2:5060>;expires=", StringComparison.Ordinal) && c.EndsWith(";q=0.9", StringComparison.Ordinal));
        Assert.Contains(contacts, c => c.StartsWith("<sip:jane@192.0.2.1:5060>;expires=", StringComparison.Ordinal));
        Assert.Contains($";rport={peer.Port}", SipText.Headers(second, "Via")[0]);
        Assert.Contains(";received=127.0.0.1", SipText.Headers(second, "Via")[0]);
        Assert.Matches(";tag=[0-9a-f]+", SipText.Headers(second, "To")[0]);
        Assert.Equal("jane-1", SipText.Headers(second, "Call-ID")[0]);
        Assert.Equal("2 REGISTER", SipText.Headers(second, "CSeq")[0]);

        // A call to jane is redirected to both, the higher q first; the ACK of the 302 is absorbed. The phone sent from
        // this socket, not from 192.0.2.x: each URI names where it really is as nathelper's alias (IP~port~1 for UDP).
        var invite = await peer.AskAsync(SipText.Request("INVITE", "sip:jane@example.com", peer.Port));
        Assert.Equal(302, SipText.Status(invite));
        Assert.Equal([$"<sip:jane@192.0.2.2:5060;alias=127.0.0.1~{peer.Port}~1>;q=0.9", $"<sip:jane@192.0.2.1:5060;alias=127.0.0.1~{peer.Port}~1>;q=0.4"],
            SipText.Headers(invite, "Contact"));

        var star = await peer.AskAsync(SipText.Register(peer.Port, "jane", "jane-1", 3, "*", "Expires: 0\r\n"));
        Assert.Equal(200, SipText.Status(star));
        Assert.Empty(SipText.Headers(star, "Contact"));
        Assert.Equal(404, SipText.Status(await peer.AskAsync(SipText.Request("INVITE", "sip:jane@example.com", peer.Port))));
        Assert.Equal(404, SipText.Status(await peer.AskAsync(SipText.Request("MESSAGE", "sip:jane@example.com", peer.Port))));
    }

    [Fact]
    public async Task Path_instance_and_reg_id_are_stored_and_returned_and_long_expires_are_cut()
    {
        using var peer = new SipUdpPeer(cluster.SipPort);

        var answer = await peer.AskAsync(SipText.Register(peer.Port, "pia", "pia-1", 1,
            "<sip:pia@192.0.2.33:5060>;+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-0000000000aa>\";reg-id=1;expires=100000",
            "Path: <sip:edge.example.com;lr>\r\nSupported: path\r\n"));

        Assert.Equal(200, SipText.Status(answer));
        Assert.Equal(["<sip:edge.example.com;lr>"], SipText.Headers(answer, "Path"));
        var contact = Assert.Single(SipText.Headers(answer, "Contact"));
        Assert.Contains(";+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-0000000000aa>\"", contact);
        Assert.Contains(";reg-id=1", contact);
        var expires = int.Parse(System.Text.RegularExpressions.Regex.Match(contact, ";expires=(\\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires, 7190, 7200); // max-expires of this deployment

        var stored = (await LookupAsync("pia"))!.Value.GetProperty("contacts")[0];
        Assert.Equal("<sip:edge.example.com;lr>", stored.GetProperty("path").GetString());
        Assert.Equal(1, stored.GetProperty("regId").GetInt32());
        // It came through an edge (the Path): the packet's source is the edge, not the phone, and the edge named no
        // received address of the phone's.
        Assert.False(stored.TryGetProperty("received", out var received) && received.ValueKind != JsonValueKind.Null);
    }

    [Fact]
    public async Task Without_a_path_the_source_is_received_and_behind_an_edge_the_received_the_edge_put_in_its_path()
    {
        using var peer = new SipUdpPeer(cluster.SipPort);

        Assert.Equal(200, SipText.Status(await peer.AskAsync(SipText.Register(peer.Port, "nat1", "nat1-1", 1, "<sip:nat1@192.0.2.34:5060>"))));
        Assert.Equal(200, SipText.Status(await peer.AskAsync(SipText.Register(peer.Port, "nat2", "nat2-1", 1, "<sip:nat2@10.1.2.3:5060>",
            "Path: <sip:edge.example.com;lr;received=sip:198.51.100.9:40312%3btransport%3dtcp>\r\nSupported: path\r\n"))));

        // The phone said 192.0.2.34 but the REGISTER came from this socket: that is where it can be reached.
        Assert.Equal($"sip:127.0.0.1:{peer.Port}", (await LookupAsync("nat1"))!.Value.GetProperty("contacts")[0].GetProperty("received").GetString());
        // Through the edge: where the edge saw the phone (Kamailio's add_path_received(), transport escaped).
        Assert.Equal("sip:198.51.100.9:40312;transport=tcp", (await LookupAsync("nat2"))!.Value.GetProperty("contacts")[0].GetProperty("received").GetString());
    }

    [Fact]
    public async Task A_path_is_echoed_only_to_a_phone_that_supports_it_and_a_strict_registrar_refuses_the_others()
    {
        using var peer = new SipUdpPeer(cluster.SipPort);
        const string Path = "Path: <sip:edge.example.com;lr;received=sip:198.51.100.10:5062>\r\n";

        // lazy (the default): stored, not echoed to a phone that did not say Supported: path (RFC 3327 §5.3).
        var lazy = await peer.AskAsync(SipText.Register(peer.Port, "lazy1", "lazy1-1", 1, "<sip:lazy1@10.1.2.4:5060>", Path));
        Assert.Equal(200, SipText.Status(lazy));
        Assert.Empty(SipText.Headers(lazy, "Path"));
        Assert.Equal("<sip:edge.example.com;lr;received=sip:198.51.100.10:5062>", (await LookupAsync("lazy1"))!.Value.GetProperty("contacts")[0].GetProperty("path").GetString());
        // ... and its 302 names the source the edge saw, not the edge: an edge reaches it with handle_ruri_alias().
        var invite = await peer.AskAsync(SipText.Request("INVITE", "sip:lazy1@example.com", peer.Port));
        Assert.Equal(["<sip:lazy1@10.1.2.4:5060;alias=198.51.100.10~5062~1>"], SipText.Headers(invite, "Contact"));

        // strict: 420 with Unsupported: path, nothing stored; with Supported: path it is stored and echoed.
        var (httpPort, sipPort) = (NodeProcesses.FreePort(), NodeProcesses.FreePort());
        cluster.StartProxy(httpPort, adminToken: null, sipPort, new Dictionary<string, string> { ["LA_SIP_PATH_MODE"] = "strict" });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
        await cluster.UntilReadyAsync(http);
        using var strictPeer = new SipUdpPeer(sipPort);
        var refused = await strictPeer.AskAsync(SipText.Register(strictPeer.Port, "strict1", "strict1-1", 1, "<sip:strict1@10.1.2.5:5060>", Path));
        Assert.Equal(420, SipText.Status(refused));
        Assert.Equal(["path"], SipText.Headers(refused, "Unsupported"));
        Assert.Null(await LookupAsync("strict1"));
        var accepted = await strictPeer.AskAsync(SipText.Register(strictPeer.Port, "strict1", "strict1-1", 2, "<sip:strict1@10.1.2.5:5060>",
            Path + "Supported: path\r\n"));
        Assert.Equal(200, SipText.Status(accepted));
        Assert.Equal(["<sip:edge.example.com;lr;received=sip:198.51.100.10:5062>"], SipText.Headers(accepted, "Path"));
        cluster.Processes.Kill(httpPort);
    }

    [Fact]
    public async Task With_expires_ranges_the_granted_expires_are_spread_below_what_was_asked_over_sip_and_http()
    {
        // A proxy of its own: the default lowered by up to 20 %, a requested expires by up to 50 % (Kamailio's
        // default_expires_range and expires_range).
        var (httpPort, sipPort) = (NodeProcesses.FreePort(), NodeProcesses.FreePort());
        cluster.StartProxy(httpPort, adminToken: null, sipPort,
            new Dictionary<string, string> { ["LA_DEFAULT_EXPIRES_RANGE"] = "20", ["LA_EXPIRES_RANGE"] = "50" });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
        await cluster.UntilReadyAsync(http);
        using var peer = new SipUdpPeer(sipPort);

        var byDefault = new List<int>();
        var asked = new List<int>();
        for (var i = 0; i < 25; i++)
        {
            byDefault.Add(GrantedExpires(await peer.AskAsync(SipText.Register(peer.Port, $"spreadd{i}", $"sd{i}", 1, $"<sip:spreadd{i}@10.1.3.{i + 1}:5060>"))));
            asked.Add(GrantedExpires(await peer.AskAsync(SipText.Register(peer.Port, $"sprea{i}", $"sa{i}", 1, $"<sip:sprea{i}@10.1.4.{i + 1}:5060>", "Expires: 1800\r\n"))));
        }

        output.WriteLine($"granted without expires: {string.Join(" ", byDefault)}; asked 1800: {string.Join(" ", asked)}");
        Assert.All(byDefault, e => Assert.InRange(e, 2870, 3600)); // 3600 less up to 20 % (a few seconds pass before the 200)
        Assert.All(asked, e => Assert.InRange(e, 890, 1800));
        Assert.True(byDefault.Distinct().Count() > 5 && asked.Distinct().Count() > 5, "the expires are not spread");
        // The HTTP API grants by the same rules.
        using var posted = await http.PostAsJsonAsync("/v1/aors/spreadh", new { contacts = new[] { new { uri = "sip:spreadh@10.1.5.1:5060", expires = 1800 } } });
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        var stored = (await ProxiedCluster.JsonAsync(posted)).GetProperty("contacts")[0].GetProperty("expires").GetInt64();
        Assert.InRange(stored, 890, 1800);
        cluster.Processes.Kill(httpPort);
    }

    /// <summary>The expires a 200 OK to a REGISTER of one contact grants it.</summary>
    private static int GrantedExpires(string answer)
    {
        Assert.Equal(200, SipText.Status(answer));
        return int.Parse(System.Text.RegularExpressions.Regex.Match(Assert.Single(SipText.Headers(answer, "Contact")), "expires=(\\d+)").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);
    }

    [Theory]
    [InlineData("<sip:kai@192.0.2.1>;expires=10", "", 423)]
    [InlineData("<sip:kai@192.0.2.1>", "Expires: 59\r\n", 423)]
    [InlineData("*", "Expires: 60\r\n", 400)]
    [InlineData("*", "", 400)]
    public async Task A_too_brief_expires_is_423_with_min_expires_and_a_bad_star_is_400(string contact, string extra, int status)
    {
        using var peer = new SipUdpPeer(cluster.SipPort);

        var answer = await peer.AskAsync(SipText.Register(peer.Port, "kai", "kai-1", 1, contact, extra));

        Assert.Equal(status, SipText.Status(answer));
        if (status == 423)
            Assert.Equal(["60"], SipText.Headers(answer, "Min-Expires"));
        Assert.Null(await LookupAsync("kai"));
    }

    [Fact]
    public async Task A_retransmitted_register_gets_the_same_answer_and_is_handled_once()
    {
        using var peer = new SipUdpPeer(cluster.SipPort);
        var metricsBefore = await RegisterCountAsync();
        var register = SipText.Register(peer.Port, "liv", "liv-1", 1, "<sip:liv@192.0.2.7>");

        var first = await peer.AskAsync(register);
        var again = await peer.AskAsync(register); // the same bytes, the same branch: a retransmission

        Assert.Equal(200, SipText.Status(first));
        Assert.Equal(first, again); // the answer of the first, To-tag included
        Assert.Equal(metricsBefore + 1, await RegisterCountAsync());
    }

    private async Task<double> RegisterCountAsync()
    {
        var metrics = await cluster.Http.GetStringAsync("/metrics");
        return metrics.Split('\n').Where(l => l.StartsWith("location_proxy_requests_total{operation=\"register\"", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Options_to_the_server_is_200_and_an_invite_302_is_retransmitted_until_its_ack()
    {
        using var peer = new SipUdpPeer(cluster.SipPort);
        var options = await peer.AskAsync(SipText.Request("OPTIONS", "sip:127.0.0.1", peer.Port));
        Assert.Equal(200, SipText.Status(options));
        Assert.Contains("REGISTER", SipText.Headers(options, "Allow")[0]);

        await peer.AskAsync(SipText.Register(peer.Port, "max", "max-1", 1, "<sip:max@192.0.2.9>"));
        var branch = SipText.Branch();
        var invite = SipText.Request("INVITE", "sip:max@example.com", peer.Port, branch: branch);
        Assert.Equal(302, SipText.Status(await peer.AskAsync(invite)));
        // No ACK yet: timer G sends the 302 again after T1 (0.5 s).
        var retransmitted = await peer.ReceiveAsync(TimeSpan.FromSeconds(3));
        Assert.NotNull(retransmitted);
        Assert.Equal(302, SipText.Status(retransmitted!));

        var ack = invite.Replace("INVITE sip:max@example.com", "ACK sip:max@example.com").Replace("1 INVITE", "1 ACK");
        await peer.SendAsync(ack);
        while (await peer.ReceiveAsync(TimeSpan.FromSeconds(1)) is { } late)
            Assert.Equal(302, SipText.Status(late)); // one may have been on its way; then they stop
        Assert.Null(await peer.ReceiveAsync(TimeSpan.FromSeconds(2.5)));
    }

    [Fact]
    public async Task Malformed_sip_over_udp_and_tcp_never_stalls_the_listener()
    {
        using var peer = new SipUdpPeer(cluster.SipPort);
        var random = new Random(7);
        var garbage = new byte[1400];
        random.NextBytes(garbage);
        await peer.SendAsync(garbage);
        await peer.SendAsync("REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1\r\n\r\n");
        await peer.SendAsync(new string('A', 60_000));
        // Without a Call-ID there is nothing a response could copy: dropped. With a bad Expires: 400 with the reason.
        await peer.SendAsync(SipText.Register(peer.Port, "nia", "x", 1, "<sip:nia@192.0.2.1>").Replace("Call-ID: x\r\n", ""));
        var bad = await peer.AskAsync(SipText.Register(peer.Port, "nia", "x", 1, "<sip:nia@192.0.2.1>", "Expires: soon\r\n"));
        Assert.Equal(400, SipText.Status(bad));
        Assert.Contains("Expires", bad.Split("\r\n")[0]);

        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, cluster.SipPort);
            var stream = tcp.GetStream();
            await stream.WriteAsync(garbage);
            await stream.WriteAsync("\r\n\r\nINVITE sip:x@y SIP/2.0\r\nContent-Length: banana\r\n\r\n"u8.ToArray());
            var buffer = new byte[4096];
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                while (await stream.ReadAsync(buffer, cancel.Token) > 0)
                {
                    // whatever it answers, it closes the connection it cannot frame
                }
            }
            catch (IOException)
            {
                // reset by the server: fine as well
            }
        }

        // The next valid request, over UDP and over TCP, is answered.
        Assert.Equal(200, SipText.Status(await peer.AskAsync(SipText.Request("OPTIONS", "sip:127.0.0.1", peer.Port))));
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, cluster.SipPort);
        var tcpStream = client.GetStream();
        var localPort = ((IPEndPoint)client.Client.LocalEndPoint!).Port;
        await tcpStream.WriteAsync(Encoding.UTF8.GetBytes(SipText.Request("OPTIONS", "sip:127.0.0.1", localPort).Replace("SIP/2.0/UDP", "SIP/2.0/TCP")));
        var answer = new byte[4096];
        var read = await tcpStream.ReadAsync(answer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("SIP/2.0 200 OK", Encoding.UTF8.GetString(answer, 0, read));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
