using Microsoft.AspNetCore.Http;
using LocationActors.TestSupport;

namespace LocationActors.Cli.Tests;

/// <summary>How every HTTP command fails: exit code and one line on stderr.</summary>
[Trait(Tier.Name, Tier.Unit)]
public class ProxyErrorsTests
{
    [Fact]
    public async Task A_wrong_token_is_not_allowed()
    {
        await using var proxy = await FakeProxy.StartAsync(401, """{"error": "wrong bearer token"}""");

        var (code, output, error) = await Cli.RunAsync("db", "maintenance", "1", "2", "--token", "nope", "--url", proxy.Url);

        Assert.Equal((LocCtl.NotAllowed, ""), (code, output));
        Assert.Equal("locctl: the proxy rejects the admin token: wrong bearer token", error);
    }

    [Fact]
    public async Task A_proxy_without_admin_token_is_not_allowed()
    {
        await using var proxy = await FakeProxy.StartAsync(403,
            """{"error": "no admin token is configured (set proxy.http.admin-token / LA_ADMIN_TOKEN on the proxy)"}""");

        var (code, _, error) = await Cli.RunAsync("db", "activate", "1", "2", "--token", "t", "--url", proxy.Url);

        Assert.Equal(LocCtl.NotAllowed, code);
        Assert.Equal("locctl: the proxy refuses admin commands: no admin token is configured (set proxy.http.admin-token / LA_ADMIN_TOKEN on the proxy)", error);
    }

    [Fact]
    public async Task A_503_is_unavailable_and_says_when_to_retry()
    {
        await using var proxy = await FakeProxy.StartAsync(503, """{"error": "no member database of group 2 takes writes\nretry later"}""", retryAfter: "5");

        var (code, output, error) = await Cli.RunAsync("register", "alice", "sip:alice@192.0.2.10", "--url", proxy.Url);

        Assert.Equal((LocCtl.Unavailable, ""), (code, output));
        Assert.Equal("locctl: the cluster cannot do it now: no member database of group 2 takes writes retry later (retry after 5 s)", error);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("lookup", "alice")]
    [InlineData("dump")]
    [InlineData("db", "maintenance", "1", "2", "--token", "t")]
    public async Task A_proxy_that_is_not_running_is_unavailable(params string[] args)
    {
        var url = FakeProxy.NothingListening();

        var (code, output, error) = await Cli.RunAsync([.. args, "--url", url]);

        Assert.Equal((LocCtl.Unavailable, ""), (code, output));
        Assert.Equal($"locctl: cannot reach the proxy at {url} (connection refused); is it running? set --url or LA_PROXY_URL", error);
    }

    [Fact]
    public async Task A_proxy_that_does_not_answer_in_time_is_unavailable()
    {
        await using var proxy = await FakeProxy.StartAsync(async context =>
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(20), context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // locctl gave up
            }
        });

        var (code, _, error) = await Cli.RunAsync("status", "--timeout", "0.3", "--url", proxy.Url);

        Assert.Equal(LocCtl.Unavailable, code);
        Assert.Equal($"locctl: the proxy at {proxy.Url} did not answer within 0.3 s; retry later or raise --timeout", error);
    }

    [Fact]
    public async Task A_server_that_is_not_the_proxy_is_named()
    {
        await using var proxy = await FakeProxy.StartAsync(async context =>
        {
            context.Response.StatusCode = 404;
            await context.Response.WriteAsync("<html>not here</html>");
        });

        var (code, _, error) = await Cli.RunAsync("lookup", "alice", "--url", proxy.Url);

        Assert.Equal(LocCtl.NotFound, code);
        Assert.Equal($"locctl: {proxy.Url} answered 404 Not Found without an error message; is --url the proxy?", error);
    }

    [Theory]
    [InlineData("--url", "127.0.0.1:8080", "--url must be an http:// or https:// URL")]
    [InlineData("--url", "ftp://127.0.0.1", "--url must be an http:// or https:// URL")]
    [InlineData("--timeout", "0", "--timeout must be a positive number of seconds (got 0)")]
    public async Task Bad_options_are_invalid_input(string option, string value, string message)
    {
        var (code, _, error) = await Cli.RunAsync("status", option, value);

        Assert.Equal(LocCtl.InvalidInput, code);
        Cli.AssertOneLineError(error, message);
    }

    [Theory]
    [InlineData("dump", "--format", "xml")]
    [InlineData("lookup")]
    [InlineData("status", "--no-such-option")]
    [InlineData("db")]
    public async Task A_command_line_that_does_not_parse_exits_1_as_the_help_says(params string[] args)
    {
        var (code, _, error) = await Cli.RunAsync(args);

        Assert.Equal(1, code);
        Assert.NotEqual("", error);
    }

    [Fact]
    public async Task Help_lists_the_commands_and_the_exit_codes()
    {
        var (code, output, _) = await Cli.RunAsync("--help");

        Assert.Equal(0, code);
        foreach (var command in new[] { "hash", "status", "lookup", "register", "rm", "dump", "db" })
            Assert.Matches($@"(?m)^\s+{command}\b", output);
        Assert.Contains("Exit codes:", output);
        Assert.Matches(@"(?m)^\s+1\s+not found \(404\), or a command line that does not parse$", output);
        Assert.Matches(@"(?m)^\s+4\s+not allowed", output);
    }
}
