using LocationActors.TestSupport;

namespace LocationActors.Cli.Tests;

[Trait(Tier.Name, Tier.Unit)]
public class DbCommandTests
{
    [Theory]
    [InlineData("maintenance")]
    [InlineData("activate")]
    public async Task Posts_the_change_with_the_bearer_token(string change)
    {
        await using var proxy = await FakeProxy.StartAsync(200, $$"""{"id": 1, "no": 2, "change": "{{change}}"}""");

        var (code, output, error) = await Cli.RunAsync("db", change, "1", "2", "--token", "s3cret", "--url", proxy.Url);

        Assert.Equal((0, $"locdb group 1 member 2: {change}", ""), (code, output, error));
        var request = proxy.Request;
        Assert.Equal(("POST", $"/v1/locdb/1/2/{change}", "Bearer s3cret"), (request.Method, request.Target, request.Authorization));
    }

    [Fact]
    public async Task Without_a_token_nothing_is_sent_and_the_exit_code_is_2()
    {
        await using var proxy = await FakeProxy.StartAsync(200, """{"id": 1, "no": 2, "change": "maintenance"}""");

        var (code, output, error) = await Cli.RunAsync("db", "maintenance", "1", "2", "--token", "", "--url", proxy.Url);

        Assert.Equal((LocCtl.InvalidInput, ""), (code, output));
        Assert.Equal("locctl: this admin command needs the proxy's admin token; set --token or LA_ADMIN_TOKEN", error);
        Assert.Empty(proxy.Requests);
    }

    [Fact]
    public async Task Read_commands_send_no_token()
    {
        await using var proxy = await FakeProxy.StartAsync(200, """{"aor": "alice", "group": 2, "removed": 0}""");

        await Cli.RunAsync("rm", "alice", "--token", "s3cret", "--url", proxy.Url);

        Assert.Null(proxy.Request.Authorization);
    }

    [Fact]
    public async Task A_row_that_is_not_there_exits_1()
    {
        await using var proxy = await FakeProxy.StartAsync(404, """{"error": "locdb has no row id=9 no=1; see locctl status"}""");

        var (code, _, error) = await Cli.RunAsync("db", "activate", "9", "1", "--token", "t", "--url", proxy.Url);

        Assert.Equal((LocCtl.NotFound, "locctl: locdb has no row id=9 no=1; see locctl status"), (code, error));
    }

    [Fact]
    public async Task Ids_below_1_are_invalid_input()
    {
        var (code, _, error) = await Cli.RunAsync("db", "maintenance", "0", "1", "--token", "t", "--url", FakeProxy.NothingListening());

        Assert.Equal(LocCtl.InvalidInput, code);
        Cli.AssertOneLineError(error, "id and no must be at least 1");
    }
}
