using LocationActors.Cluster.LocationGroups;
using LocationActors.TestSupport;
using Xunit.Abstractions;

namespace LocationActors.Node.Tests;

/// <summary>
/// Three node processes and six groups: once every node is up the groups are spread two per node, and they stay
/// where they are (a group that moves stops, starts again elsewhere and reloads its contacts); a node that dies and
/// comes back gets its share back.
/// </summary>
[Collection(MariaDbCollection.Name)]
[Trait(Tier.Name, Tier.Process)]
public sealed class GroupPlacementTests(MariaDbServers servers, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Groups = 6;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan Watched = TimeSpan.FromSeconds(25);

    private readonly NodeProcesses _nodes = new(3);
    private GroupsClient _groups = null!;

    public async Task InitializeAsync() =>
        _groups = await GroupsClient.StartAsync(servers, _nodes, Enumerable.Range(1, Groups).Select(id => (id, 1, 1 + id % 2)),
            new Dictionary<string, string> { ["LA_MEMBERS_PER_GROUP"] = "1" });

    public async Task DisposeAsync()
    {
        _nodes.Dispose();
        await _groups.DisposeAsync();
    }

    private async Task<IReadOnlyList<GroupStatus>> StatusesAsync(DateTime deadline) =>
        await Task.WhenAll(Enumerable.Range(1, Groups).Select(id => _groups.AskUntilAsync<GroupStatus>(request => new GetGroupStatus(id, request), deadline)));

    private static string Placement(IEnumerable<GroupStatus> statuses) =>
        string.Join(", ", statuses.GroupBy(s => s.Node).OrderBy(n => n.Key).Select(n => $"{n.Key}: {string.Join(" ", n.Select(s => s.GroupId).Order())}"));

    /// <summary>Waits until every group serves, on <paramref name="nodes"/> nodes that all see each other, <paramref name="share"/> groups each.</summary>
    private async Task<IReadOnlyList<GroupStatus>> UntilPlacedAsync(int nodes, int[] share)
    {
        var deadline = DateTime.UtcNow + Deadline;
        IReadOnlyList<GroupStatus> statuses;
        do
        {
            await Task.Delay(1000);
            statuses = await StatusesAsync(deadline);
        }
        while (DateTime.UtcNow < deadline &&
               !(statuses.All(s => s.State == "serving" && s.UpNodes.Count == nodes && s.SeenBy.Count == nodes) &&
                 statuses.GroupBy(s => s.Node).Select(n => n.Count()).Order().SequenceEqual(share)));
        output.WriteLine($"placed: {Placement(statuses)}");
        Assert.Equal(share, statuses.GroupBy(s => s.Node).Select(n => n.Count()).Order());
        Assert.All(statuses, s => Assert.Equal("serving", s.State));
        return statuses;
    }

    [Fact]
    public async Task Six_groups_on_three_nodes_are_spread_two_each_stay_there_and_a_node_that_comes_back_gets_two_back()
    {
        var statuses = await UntilPlacedAsync(3, [2, 2, 2]);

        // Settled: nothing moves any more.
        var settled = statuses.ToDictionary(s => s.GroupId, s => s.Node);
        var moves = new List<string>();
        var watchedUntil = DateTime.UtcNow + Watched;
        while (DateTime.UtcNow < watchedUntil)
        {
            await Task.Delay(1000);
            foreach (var status in await StatusesAsync(DateTime.UtcNow + Deadline))
            {
                if (settled[status.GroupId] != status.Node)
                    moves.Add($"group {status.GroupId}: {settled[status.GroupId]} -> {status.Node}");
                settled[status.GroupId] = status.Node;
            }
        }

        Assert.Empty(moves);

        // A node dies: its two groups go to the others. It comes back: it gets two groups back, which serve.
        var victim = statuses[0].Node;
        var port = int.Parse(victim[(victim.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        _nodes.Kill(port);
        await UntilPlacedAsync(2, [3, 3]);
        _nodes.Start(port, _groups.NodeEnvironment);
        var back = await UntilPlacedAsync(3, [2, 2, 2]);
        Assert.Equal(2, back.Count(s => s.Node == victim));
    }
}
