using System.Text.Json;
using LocationActors.TestSupport;

namespace LocationActors.Cli.Tests;

/// <summary>lookup, register and rm against a fake proxy.</summary>
[Trait(Tier.Name, Tier.Unit)]
public class AorCommandsTests
{
    private const string Bindings = """
        {"aor": "alice", "group": 2, "contacts": [
          {"uri": "sip:alice@192.0.2.10:5060", "expires": 3592, "q": 0.7, "path": "<sip:edge.example.com;lr>",
           "received": "sip:198.51.100.7:5060", "instance": "<urn:uuid:00000000-0000-0000-0000-000000000001>", "regId": 1,
           "callId": "a84b4c76e66710", "cseq": 3, "userAgent": "phone/1.0", "ruid": "uloc-5f3e2a-1b-1",
           "lastModified": "2026-11-26T13:05:00Z"},
          {"uri": "sip:alice@192.0.2.11", "expires": 0, "regId": 0, "callId": "x", "cseq": 1, "ruid": "uloc-5f3e2a-1b-2",
           "lastModified": "2026-11-26T13:06:00Z"}
        ]}
        """;

    private static readonly string[] BindingLines =
    [
        "sip:alice@192.0.2.10:5060 q=0.7 expires=3592 path=<sip:edge.example.com;lr> instance=<urn:uuid:00000000-0000-0000-0000-000000000001> ruid=uloc-5f3e2a-1b-1",
        "sip:alice@192.0.2.11 expires=permanent ruid=uloc-5f3e2a-1b-2",
    ];

    [Fact]
    public async Task Lookup_prints_one_contact_per_line_in_the_proxys_order()
    {
        await using var proxy = await FakeProxy.StartAsync(200, Bindings);

        var (code, output, error) = await Cli.RunAsync("lookup", "alice", "--url", proxy.Url);

        Assert.Equal((0, ""), (code, error));
        Assert.Equal(BindingLines, Cli.Lines(output));
        Assert.Equal(("GET", "/v1/aors/alice"), (proxy.Request.Method, proxy.Request.Target));
    }

    [Fact]
    public async Task Lookup_url_encodes_a_sip_uri()
    {
        await using var proxy = await FakeProxy.StartAsync(200, Bindings);

        var (code, _, _) = await Cli.RunAsync("lookup", "sip:Alice@example.com;transport=tcp", "--url", proxy.Url);

        Assert.Equal(0, code);
        Assert.Equal("/v1/aors/sip%3AAlice%40example.com%3Btransport%3Dtcp", proxy.Request.Target);
    }

    [Fact]
    public async Task Lookup_of_an_unknown_aor_exits_1_with_the_proxys_message()
    {
        await using var proxy = await FakeProxy.StartAsync(404, """{"error": "alice has no valid contact", "aor": "alice", "group": 2}""");

        var (code, output, error) = await Cli.RunAsync("lookup", "alice", "--url", proxy.Url);

        Assert.Equal(LocCtl.NotFound, code);
        Assert.Equal("", output);
        Assert.Equal("locctl: alice has no valid contact", error);
    }

    [Fact]
    public async Task Register_posts_the_contact_and_prints_the_bindings()
    {
        await using var proxy = await FakeProxy.StartAsync(200, Bindings);

        var (code, output, error) = await Cli.RunAsync("register", "sip:alice@example.com", "sip:alice@192.0.2.10:5060",
            "--expires", "120", "--q", "0.5", "--url", proxy.Url);

        Assert.Equal((0, ""), (code, error));
        Assert.Equal(BindingLines, Cli.Lines(output));
        var request = proxy.Request;
        Assert.Equal(("POST", "/v1/aors/sip%3Aalice%40example.com"), (request.Method, request.Target));
        AssertJson("""{"contacts":[{"uri":"sip:alice@192.0.2.10:5060","expires":120,"q":0.5}]}""", request.Body);
    }

    [Fact]
    public async Task Register_leaves_unset_expires_and_q_to_the_proxy()
    {
        await using var proxy = await FakeProxy.StartAsync(200, Bindings);

        var (code, _, _) = await Cli.RunAsync("register", "alice", "sip:alice@192.0.2.10", "--url", proxy.Url);

        Assert.Equal(0, code);
        AssertJson("""{"contacts":[{"uri":"sip:alice@192.0.2.10"}]}""", proxy.Request.Body);
    }

    [Theory]
    [InlineData("--expires", "-1", "--expires must be 0 (remove) or more seconds (got -1)")]
    [InlineData("--q", "1.5", "--q must be between 0 and 1 (got 1.5)")]
    [InlineData("--q", "-0.1", "--q must be between 0 and 1")]
    public async Task Register_refuses_bad_values_without_asking_the_proxy(string option, string value, string message)
    {
        await using var proxy = await FakeProxy.StartAsync(200, Bindings);

        var (code, output, error) = await Cli.RunAsync("register", "alice", "sip:alice@192.0.2.10", option, value, "--url", proxy.Url);

        Assert.Equal((LocCtl.InvalidInput, ""), (code, output));
        Cli.AssertOneLineError(error, message);
        Assert.Empty(proxy.Requests);
    }

    [Theory]
    [InlineData(400, "invalid contact URI 'alice': a SIP URI starts with sip: or sips:")]
    [InlineData(409, "the CSeq 1 is not above the stored 3; nothing changed")]
    [InlineData(413, "the body is larger than 65536 bytes")]
    public async Task Register_refused_by_the_proxy_exits_2_with_its_message(int status, string message)
    {
        await using var proxy = await FakeProxy.StartAsync(status, JsonSerializer.Serialize(new { error = message }));

        var (code, output, error) = await Cli.RunAsync("register", "alice", "alice", "--url", proxy.Url);

        Assert.Equal((LocCtl.InvalidInput, ""), (code, output));
        Assert.Equal($"locctl: {message}", error);
    }

    [Fact]
    public async Task Rm_removes_every_binding_of_the_aor()
    {
        await using var proxy = await FakeProxy.StartAsync(200, """{"aor": "alice", "group": 2, "removed": 3}""");

        var (code, output, error) = await Cli.RunAsync("rm", "alice", "--url", proxy.Url);

        Assert.Equal((0, "removed 3 binding(s)", ""), (code, output, error));
        Assert.Equal(("DELETE", "/v1/aors/alice"), (proxy.Request.Method, proxy.Request.Target));
    }

    [Fact]
    public async Task Rm_with_a_contact_removes_only_its_bindings()
    {
        await using var proxy = await FakeProxy.StartAsync(200, """{"aor": "alice", "group": 2, "removed": 1}""");

        var (code, output, _) = await Cli.RunAsync("rm", "alice", "sip:alice@192.0.2.10:5060;transport=tcp", "--url", proxy.Url);

        Assert.Equal((0, "removed 1 binding(s)"), (code, output));
        Assert.Equal(("DELETE", "/v1/aors/alice/contacts?contact=sip%3Aalice%40192.0.2.10%3A5060%3Btransport%3Dtcp"),
            (proxy.Request.Method, proxy.Request.Target));
    }

    private static void AssertJson(string expected, string actual) =>
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(expected).RootElement, JsonDocument.Parse(actual).RootElement),
            $"expected {expected}\n     got {actual}");
}
