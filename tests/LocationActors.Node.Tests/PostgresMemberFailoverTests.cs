using System.Net;
using LocationActors.Domain.LocDb;
using LocationActors.Storage;
using LocationActors.TestSupport;
using Xunit.Abstractions;

namespace LocationActors.Node.Tests;

/// <summary>
/// Failover on PostgreSQL members, as on MariaDB's: a member server frozen (SIGSTOP of the server and its backends),
/// thawed, then killed (SIGKILL, a crash) and started again, while phones register at 150/s through a proxy. No REGISTER
/// may fail (each is retransmitted as a phone does and must be answered within 5 s); the member is turned off, comes
/// back, and is brought up to date. Run with the dedicated MariaDB tests, one at a time, so no two load each other.
/// </summary>
[Collection(DedicatedMariaDbCollection.Name)]
[Trait(Tier.Name, Tier.Process)]
public sealed class PostgresMemberFailoverTests(PostgresServers servers, ITestOutputHelper output) : IAsyncLifetime, IClassFixture<PostgresServers>
{
    private const int FailingInstance = 3; // holds member 1 of group 1 and member 2 of group 2
    private const int PerSecond = 150;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    private DedicatedDeployment? _deployment;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        try
        {
            await servers.ControlAsync("start", FailingInstance); // also when the test failed half-way (start thaws a frozen one)
        }
        finally
        {
            if (_deployment is not null)
                await _deployment.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_member_server_frozen_then_killed_under_150_REGISTERs_a_second_fails_none_and_is_resynchronised_after()
    {
        // One node with the shipped settings; the master on shared instance 1, the members on 3 (failing) and 4.
        var deployment = _deployment = await DedicatedDeployment.StartAsync(servers, nodes: 1, (FailingInstance, 4), masterInstance: 1,
            new Dictionary<string, string> { ["LA_REQUEST_TIMEOUT"] = "25s" });

        // 50 s of REGISTERs: frozen from 5 to 20 s, killed at 25 s, started again at 35 s.
        var users = Enumerable.Range(0, PerSecond * 50).Select(i => $"4970{i:D6}").ToList();
        IReadOnlyList<SipRegisterLoad.Outcome> outcomes;
        await using (var load = SipRegisterLoad.Start(deployment.SipPort, users, PerSecond, Patience))
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            await servers.ControlAsync("freeze", FailingInstance);
            await Task.Delay(TimeSpan.FromSeconds(15));
            await servers.ControlAsync("thaw", FailingInstance);
            await Task.Delay(TimeSpan.FromSeconds(5));
            await servers.ControlAsync("kill", FailingInstance);
            await Task.Delay(TimeSpan.FromSeconds(10));
            await servers.ControlAsync("start", FailingInstance);
            await load.Completion.WaitAsync(TimeSpan.FromMinutes(2));
            outcomes = load.Outcomes;
        }

        var failed = outcomes.Where(o => o.Status != 200).ToList();
        output.WriteLine($"{outcomes.Count} REGISTERs, {failed.Count} failed; slowest: " +
                         string.Join(", ", outcomes.OrderByDescending(o => o.Took).Take(5).Select(o => $"{o.Took.TotalMilliseconds:F0} ms at {o.SentAt.TotalSeconds:F1} s ({o.Sends} sends)")));
        Assert.Equal(users.Count, outcomes.Count);
        Assert.True(failed.Count == 0, $"{failed.Count} REGISTERs failed, e.g. " +
                                       string.Join(", ", failed.Take(5).Select(o => $"{o.User} sent at {o.SentAt.TotalSeconds:F1} s: {o.Status?.ToString() ?? "no answer"}")) +
                                       $"\n{deployment.Processes.Logs(40)}");

        // The failed members were turned off (counted in locdb), come back, are brought up to date; every user is found.
        Assert.Contains("turning it off", deployment.Processes.Logs(2000), StringComparison.Ordinal); // counted in locdb, turned off
        await deployment.AssertRecoveredAsync(FailingInstance, users);
    }
}
