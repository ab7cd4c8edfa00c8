using System.Net;
using LocationActors.Domain.LocDb;
using LocationActors.Storage;
using LocationActors.TestSupport;
using Xunit.Abstractions;

namespace LocationActors.Node.Tests;

/// <summary>
/// p_usrloc's own experiment, as an operator runs it: a member database server frozen (SIGSTOP) for 30 s while phones
/// register at 200/s through a proxy, against a node process with the shipped defaults. p_usrloc failed thousands of
/// REGISTERs over the 17 s it took to turn the member off; here none may fail: each is retransmitted as a phone does
/// and must be answered 200 within the 5 s after which the shipped Kamailio edge gives up on it.
/// </summary>
[Collection(DedicatedMariaDbCollection.Name)]
[Trait(Tier.Name, Tier.Process)]
public sealed class FrozenMemberTests(MariaDbServers servers, ITestOutputHelper output) : IAsyncLifetime
{
    private const int FrozenInstance = 3; // holds member 1 of group 1 and member 2 of group 2
    private const int PerSecond = 200;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Freeze = TimeSpan.FromSeconds(30);

    private DedicatedDeployment? _deployment;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await servers.ControlAsync("thaw", FrozenInstance); // also when the test failed half-way
        if (_deployment is not null)
            await _deployment.DisposeAsync();
    }

    [Fact]
    public async Task A_member_server_frozen_for_30_s_under_200_REGISTERs_a_second_fails_none_and_is_resynchronised_after()
    {
        // One node with the shipped settings; the master on instance 5, the members on 3 (frozen) and 4.
        var deployment = _deployment = await DedicatedDeployment.StartAsync(servers, nodes: 1, (FrozenInstance, 4), masterInstance: 5,
            new Dictionary<string, string> { ["LA_REQUEST_TIMEOUT"] = "25s" });

        // 45 s of REGISTERs: 5 s before the freeze, 30 s of it, 10 s after.
        var users = Enumerable.Range(0, PerSecond * 45).Select(i => $"4960{i:D6}").ToList();
        TimeSpan frozenAt, thawedAt;
        IReadOnlyList<SipRegisterLoad.Outcome> outcomes;
        await using (var load = SipRegisterLoad.Start(deployment.SipPort, users, PerSecond, Patience))
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            await servers.ControlAsync("freeze", FrozenInstance);
            frozenAt = load.Elapsed;
            try
            {
                await Task.Delay(Freeze);
            }
            finally
            {
                await servers.ControlAsync("thaw", FrozenInstance);
                thawedAt = load.Elapsed;
            }

            await load.Completion.WaitAsync(TimeSpan.FromMinutes(2));
            outcomes = load.Outcomes;
        }

        var failed = outcomes.Where(o => o.Status != 200).ToList();
        var during = outcomes.Where(o => o.SentAt >= frozenAt && o.SentAt < thawedAt).ToList();
        output.WriteLine($"{outcomes.Count} REGISTERs, {during.Count} sent while frozen ({frozenAt.TotalSeconds:F1}-{thawedAt.TotalSeconds:F1} s), " +
                         $"{failed.Count} failed; slowest: " +
                         string.Join(", ", outcomes.OrderByDescending(o => o.Took).Take(5).Select(o => $"{o.Took.TotalMilliseconds:F0} ms at {o.SentAt.TotalSeconds:F1} s ({o.Sends} sends)")));
        Assert.Equal(users.Count, outcomes.Count);
        Assert.True(failed.Count == 0, $"{failed.Count} REGISTERs failed, e.g. " +
                                       string.Join(", ", failed.Take(5).Select(o => $"{o.User} sent at {o.SentAt.TotalSeconds:F1} s: {o.Status?.ToString() ?? "no answer"}")) +
                                       $"\n{deployment.Processes.Logs(40)}");

        // The frozen members come back, are brought up to date, and hold what their partners hold; every user is found.
        await deployment.AssertRecoveredAsync(FrozenInstance, users);
    }
}
