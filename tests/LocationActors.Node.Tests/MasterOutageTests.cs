using System.Net;
using LocationActors.Domain.Partitioning;
using LocationActors.TestSupport;
using Xunit.Abstractions;

namespace LocationActors.Node.Tests;

/// <summary>
/// Two faults together, as an operator meets them: the master database (locdb, and where sharding keeps its state) is
/// down, and then the node hosting a group dies. The group must serve again on another node, with everything it had
/// acknowledged, while the master is still down; a node started during the outage must join and serve too.
/// </summary>
[Collection(DedicatedMariaDbCollection.Name)]
[Trait(Tier.Name, Tier.Process)]
public sealed class MasterOutageTests(MariaDbServers servers, ITestOutputHelper output) : IAsyncLifetime
{
    private const int MasterInstance = 5;
    private DedicatedDeployment? _deployment;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await servers.ControlAsync("start", MasterInstance); // also when the test failed half-way
        if (_deployment is not null)
            await _deployment.DisposeAsync();
    }

    private static IEnumerable<string> UsersOf(int group, int from) =>
        Enumerable.Range(from, int.MaxValue - from).Select(i => $"4980{i:D6}").Where(user => Partitioner.GroupOf(user, 2) == group);

    [Fact]
    public async Task With_the_master_down_a_group_whose_node_dies_serves_again_on_another_node_with_nothing_lost()
    {
        var deployment = _deployment = await DedicatedDeployment.StartAsync(servers, nodes: 3, (3, 4), MasterInstance);
        var before = UsersOf(1, 0).Take(150).Concat(UsersOf(2, 0).Take(150)).ToList();
        foreach (var user in before)
            Assert.Equal(HttpStatusCode.OK, await deployment.RegisterAsync(user));
        var victim = await deployment.NodeHostingAsync(1);

        await servers.ControlAsync("kill", MasterInstance);
        await Task.Delay(TimeSpan.FromSeconds(3)); // the mirror has noticed: it keeps the last good layout
        deployment.Processes.Kill(victim);
        output.WriteLine($"master down, killed node {victim}");

        // Group 1 takes REGISTERs again: only the group itself can store one, so it serves on another node.
        var after = UsersOf(1, 100_000).Take(20).ToList();
        await Eventually.UntilAsync("group 1 stores a REGISTER again", async () => await deployment.RegisterAsync(after[0]) == HttpStatusCode.OK,
            TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(500), e => e is HttpRequestException or TaskCanceledException,
            () => Task.FromResult(deployment.Processes.Logs(30)));
        foreach (var user in after.Skip(1))
            Assert.Equal(HttpStatusCode.OK, await deployment.RegisterAsync(user));
        var lost = new List<string>();
        foreach (var user in before.Concat(after))
            if (!await deployment.FoundAsync(user))
                lost.Add(user);
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged users not found, e.g. {string.Join(", ", lost.Take(5))}");

        // A node started while the master is still down joins and takes a share of the groups' work.
        var restarted = victim;
        deployment.Processes.Start(restarted, new Dictionary<string, string>
        {
            ["LA_MASTER_DB_URL"] = deployment.Layout.Master.Url.Original, ["LA_LOCDB_POLL_INTERVAL"] = "1s",
        });
        await deployment.UntilAsync("the node started during the outage is up", cluster =>
            cluster.GetProperty("nodes").EnumerateArray().Count(n => n.GetProperty("status").GetString() == "Up") == 3, TimeSpan.FromSeconds(90));
        Assert.False(deployment.Processes.HasExited(restarted), deployment.Processes.Logs(30));

        await servers.ControlAsync("start", MasterInstance);
        foreach (var user in UsersOf(2, 100_000).Take(10))
            Assert.Equal(HttpStatusCode.OK, await deployment.RegisterAsync(user));
    }
}
