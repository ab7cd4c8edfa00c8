using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Configuration;
using LocationActors.Cluster.Gateway;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.LocDb;
using LocationActors.Node.Configuration;
using LocationActors.Storage;
using LocationActors.TestSupport;

namespace LocationActors.Node.Tests;

/// <summary>
/// Reaches the groups of node processes as a proxy does, through the cluster client to the gateway: the test is not
/// a cluster member. Sharding drops messages during a hand-off and groups may be starting, so a request is asked
/// again until the wanted kind of reply comes.
/// </summary>
public sealed class GroupsClient : IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly IActorRef _client;
    private readonly NodeProcesses _nodes;
    private long _requestId;

    /// <summary>What the nodes were started with (<see cref="StartAsync"/>): a node started again gets the same.</summary>
    public IDictionary<string, string> NodeEnvironment { get; init; } = new Dictionary<string, string>();

    public GroupsClient(NodeProcesses nodes)
    {
        _nodes = nodes;
        var config = ConfigurationFactory.ParseString("""
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp.port = 0
            akka.extensions = []
            akka.loglevel = WARNING
            akka.coordinated-shutdown.exit-clr = off
            akka.cluster.client { heartbeat-interval = 1s, acceptable-heartbeat-pause = 3s }
            """).WithFallback(NodeConfig.Load(environment: _ => null)).WithFallback(ClusterClientReceptionist.DefaultConfig())
            .WithFallback(DistributedPubSub.DefaultConfig()); // binds the serializer of the Send envelope
        _system = ActorSystem.Create("test-client", config);
        var contacts = nodes.Ports.Select(p => ActorPath.Parse($"akka.tcp://location@127.0.0.1:{p}/system/receptionist")).ToImmutableHashSet();
        _client = _system.ActorOf(ClusterClient.Props(ClusterClientSettings.Create(_system).WithInitialContacts(contacts)), "cluster-client");
    }

    /// <summary>Asks until a reply of the wanted kind comes, or fails at the deadline with the nodes' logs.</summary>
    public async Task<T> AskUntilAsync<T>(Func<long, IWithGroupId> request, DateTime deadline) where T : class
    {
        object? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await _client.Ask<object>(
                    new ClusterClient.Send(GroupsGateway.Path, request(Interlocked.Increment(ref _requestId)), localAffinity: true),
                    TimeSpan.FromSeconds(3));
                if (last is T wanted)
                    return wanted;
            }
            catch (AskTimeoutException)
            {
                last = "timeout";
            }

            await Task.Delay(250);
        }

        throw new Xunit.Sdk.XunitException($"no {typeof(T).Name} before the deadline; last answer: {last}\n{_nodes.Logs()}");
    }

    public async ValueTask DisposeAsync() => await _system.Terminate().WaitAsync(TimeSpan.FromSeconds(20));

    /// <summary>
    /// A master with <c>locdb</c> rows for members on the given MariaDB instances (each member a fresh database with
    /// Kamailio's table), and every node started on it; then a client of their groups.
    /// </summary>
    public static async Task<GroupsClient> StartAsync(MariaDbServers servers, NodeProcesses nodes, IEnumerable<(int Id, int No, int Instance)> members,
        IDictionary<string, string>? environment = null)
    {
        var master = await servers.CreateDatabaseAsync(1);
        await using var masterDb = new MasterDatabase(master);
        await masterDb.CreateSchemaAsync();
        foreach (var (id, no, instance) in members)
        {
            var url = await servers.CreateDatabaseAsync(instance);
            await using var member = new LocationDatabase(url);
            await member.CreateSchemaAsync();
            await masterDb.UpsertRowAsync(new LocDbRow(id, no, url.Original, LocDbStatus.On, 0, LocDbRow.DefaultTime, false, instance));
        }

        var variables = new Dictionary<string, string> { ["LA_MASTER_DB_URL"] = master.Original, ["LA_LOCDB_POLL_INTERVAL"] = "1s" };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            variables[name] = value;
        foreach (var port in nodes.Ports)
            nodes.Start(port, variables);
        return new GroupsClient(nodes) { NodeEnvironment = variables };
    }
}
