using LocationActors.TestSupport;

namespace LocationActors.Cli.Tests;

[CollectionDefinition(nameof(EnvironmentVariables), DisableParallelization = true)]
public class EnvironmentVariables;

/// <summary>LA_PROXY_URL and LA_ADMIN_TOKEN: set for the process, so these run alone.</summary>
[Collection(nameof(EnvironmentVariables))]
[Trait(Tier.Name, Tier.Unit)]
public class EnvironmentDefaultsTests
{
    [Fact]
    public async Task Url_and_token_come_from_the_environment_and_options_win()
    {
        await using var proxy = await FakeProxy.StartAsync(200, """{"id": 1, "no": 2, "change": "maintenance"}""");
        Environment.SetEnvironmentVariable("LA_PROXY_URL", proxy.Url);
        Environment.SetEnvironmentVariable("LA_ADMIN_TOKEN", "from-env");
        try
        {
            var (code, _, error) = await Cli.RunAsync("db", "maintenance", "1", "2");
            Assert.Equal((0, ""), (code, error));
            Assert.Equal("Bearer from-env", proxy.Requests.Last().Authorization);

            (code, _, _) = await Cli.RunAsync("db", "maintenance", "1", "2", "--token", "from-option");
            Assert.Equal(0, code);
            Assert.Equal("Bearer from-option", proxy.Requests.Last().Authorization);

            var elsewhere = FakeProxy.NothingListening();
            (code, _, error) = await Cli.RunAsync("db", "maintenance", "1", "2", "--url", elsewhere);
            Assert.Equal(LocCtl.Unavailable, code);
            Assert.Contains(elsewhere, error);
        }
        finally
        {
            Environment.SetEnvironmentVariable("LA_PROXY_URL", null);
            Environment.SetEnvironmentVariable("LA_ADMIN_TOKEN", null);
        }
    }
}
