using LocationActors.Cluster.LocationGroups;
using LocationActors.TestSupport;
using Xunit.Abstractions;

namespace LocationActors.Node.Tests;

/// <summary>
/// Three node processes and six groups: once every node is up the groups are spread two per node, and they stay
/// where they are (a group that moves stops, starts again elsewhere and reloads its contacts).
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

    [Fact]
    public async Task Six_groups_on_three_nodes_are_spread_two_each_and_stay_there()
    {
        var deadline = DateTime.UtcNow + Deadline;
        IReadOnlyList<GroupStatus> statuses;
        do
        {
            await Task.Delay(1000);
            statuses = await StatusesAsync(deadline);
        }
        while (DateTime.UtcNow < deadline &&
               !(statuses.All(s => s.State == "serving" && s.UpNodes.Count == 3 && s.SeenBy.Count == 3) &&
                 statuses.GroupBy(s => s.Node).Select(n => n.Count()).Order().SequenceEqual([2, 2, 2])));
        output.WriteLine($"placed: {Placement(statuses)}");
        Assert.Equal([2, 2, 2], statuses.GroupBy(s => s.Node).Select(n => n.Count()).Order());

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
    }
}
