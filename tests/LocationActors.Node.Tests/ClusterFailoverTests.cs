using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.LocDb;
using LocationActors.Domain.Partitioning;
using LocationActors.Domain.Registrations;
using LocationActors.Storage;
using LocationActors.TestSupport;
using Xunit.Abstractions;

namespace LocationActors.Node.Tests;

/// <summary>
/// Three node processes on loopback with real MariaDB: registrations spread over both groups, the node hosting
/// group 1 is killed with SIGKILL, its group restarts on another node, loads its contacts from the databases, and
/// every registration made before the kill is found again.
/// </summary>
[Collection(MariaDbCollection.Name)]
[Trait(Tier.Name, Tier.Process)]
public sealed class ClusterFailoverTests(MariaDbServers servers, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Users = 200;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private readonly NodeProcesses _nodes = new(3);
    private GroupsClient _groups = null!;

    public async Task InitializeAsync() =>
        _groups = await GroupsClient.StartAsync(servers, _nodes, [(1, 1, 1), (1, 2, 2), (2, 1, 2), (2, 2, 1)]);

    public async Task DisposeAsync()
    {
        _nodes.Dispose(); // first: whatever happens below, no node outlives the test
        await _groups.DisposeAsync();
    }

    private static Aor User(int i) => Aor.FromNormalized("4930" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture), RegistrarOptions.Default);

    private static string ContactOf(int i) => $"sip:{User(i)}@192.0.2.{i % 250 + 1}:5060";

    [Fact]
    public async Task Groups_of_a_killed_node_restart_elsewhere_with_every_registration()
    {
        var deadline = DateTime.UtcNow + Deadline;
        for (var i = 0; i < Users; i++)
        {
            var user = User(i);
            var register = new RegisterRequest(user, [new ContactUpdate(ContactOf(i), 3600, QValue.Unspecified)], $"call-{i}", 1, UserAgent: "test");
            var result = await _groups.AskUntilAsync<RegisterResult>(id => new RegisterBindings(Partitioner.GroupOf(user, 2), id, register), deadline);
            // A retry after a lost reply is a retransmission: accepted again, stored once.
            Assert.Equal([ContactOf(i)], result.Bindings.Select(b => b.Contact));
        }

        // Kill only once every node knows all three are Up: a node that still thinks it is joining does not count
        // towards the majority, and two such survivors would rightly down themselves.
        var before = await _groups.AskUntilAsync<GroupStatus>(id => new GetGroupStatus(1, id), deadline);
        while (before.UpNodes.Count < 3 || before.SeenBy.Count < 3)
        {
            await Task.Delay(500);
            before = await _groups.AskUntilAsync<GroupStatus>(id => new GetGroupStatus(1, id), deadline);
        }

        var inGroup1 = Enumerable.Range(0, Users).Count(i => Partitioner.GroupOf(User(i), 2) == 1);
        Assert.Equal(inGroup1, before.ContactCount);
        var victim = int.Parse(before.Node[(before.Node.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        output.WriteLine($"group 1 ran on {before.Node} with {before.ContactCount} contacts; killing it");

        _nodes.Kill(victim);
        var killedAt = DateTime.UtcNow;

        deadline = DateTime.UtcNow + Deadline;
        var after = await _groups.AskUntilAsync<GroupStatus>(id => new GetGroupStatus(1, id), deadline);
        while (after.Node == before.Node || after.State != "serving")
            after = await _groups.AskUntilAsync<GroupStatus>(id => new GetGroupStatus(1, id), deadline);
        output.WriteLine($"group 1 serving on {after.Node} {(DateTime.UtcNow - killedAt).TotalSeconds:F1} s after the kill");
        Assert.Equal(inGroup1, after.ContactCount);

        for (var i = 0; i < Users; i++)
        {
            var user = User(i);
            var found = await _groups.AskUntilAsync<LookupResult>(id => new LookupContacts(Partitioner.GroupOf(user, 2), id, user), deadline);
            Assert.Equal([ContactOf(i)], found.Contacts.Select(c => c.Contact));
        }
    }
}
