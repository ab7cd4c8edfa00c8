using Akka.Actor;
using Akka.Configuration;
using BenchmarkDotNet.Attributes;
using LocationActors.Cluster.ClusterConfig;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.LocDb;
using LocationActors.Domain.Registrations;
using LocationActors.Storage;

namespace LocationActors.Benchmarks;

/// <summary>
/// The real <see cref="LocationGroup"/> actor in a local actor system, one request in flight (Ask): what the actor,
/// its mailbox and the Ask add to <see cref="GroupBenchmarks"/>. Its one member database is a SQLite file, so a
/// REGISTER here also goes through the DbHandle and SQLite: that number is the whole write path on one host.
/// </summary>
[MemoryDiagnoser]
public class GroupActorBenchmarks
{
    private const int Users = 10_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private ActorSystem _system = null!;
    private IActorRef _group = null!;
    private string _folder = null!;
    private int _cseq = 1;
    private ulong _random = 0x9E3779B97F4A7C15;

    [GlobalSetup]
    public void Setup()
    {
        _folder = Directory.CreateTempSubdirectory("la-bench-group-").FullName;
        var url = "sqlite://" + Path.Combine(_folder, "member.db");
        var member = new LocationDatabase(DatabaseUrl.Parse(url));
        member.CreateSchemaAsync().Wait(); // a group never creates its members' tables
        member.DisposeAsync().AsTask().Wait();
        _system = ActorSystem.Create("bench", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        _group = StartGroup(_system, url, 1);
        // Every user registered once, all at the same time, so the handle batches them as it does under load.
        Task.WaitAll(Enumerable.Range(0, Users)
            .Select(n => _group.Ask<RegisterResult>(new RegisterBindings(1, n, Samples.Register(n, 1)), Timeout)).ToArray());
        if (_group.Ask<LookupResult>(new LookupContacts(1, 0, Samples.AorOf(Users - 1)), Timeout).Result.Contacts.Count != 1)
            throw new InvalidOperationException("the group did not store the users");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _system.Terminate().Wait(Timeout);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>Starts group 1 of <paramref name="groupCount"/> with one member database and no cluster around it.</summary>
    public static IActorRef StartGroup(ActorSystem system, string memberUrl, int groupCount)
    {
        var layout = new GroupLayout(1, groupCount, [new LocDbRow(1, 1, memberUrl, LocDbStatus.On, 0, LocDbRow.ZeroTime, false, 1)]);
        var config = system.ActorOf(Props.Create(() => new LayoutSource(layout)));
        return system.ActorOf(LocationGroup.Props(1, new LocationGroupSettings(RegistrarSettings.Default, MembersPerGroup: 1), config,
            new RuidGenerator(Samples.Now, 0x5f3a9b2c)));
    }

    [Benchmark]
    public Task<LookupResult> Lookup() => _group.Ask<LookupResult>(new LookupContacts(1, 1, Samples.AorOf(Pick())), Timeout);

    /// <summary>A refresh (higher CSeq) of a random user: memory, the member's REPLACE in SQLite, the reply.</summary>
    [Benchmark]
    public Task<RegisterResult> ReRegisterStoredInSqlite() =>
        _group.Ask<RegisterResult>(new RegisterBindings(1, 1, Samples.Register(Pick(), ++_cseq)), Timeout);

    private int Pick()
    {
        _random ^= _random << 13;
        _random ^= _random >> 7;
        _random ^= _random << 17;
        return (int)(_random % Users);
    }

    /// <summary>Stands in for the ClusterConfig singleton: gives the group its locdb rows and takes its member reports.</summary>
    private sealed class LayoutSource : ReceiveActor
    {
        public LayoutSource(GroupLayout layout)
        {
            Receive<GetGroupLayout>(_ => Sender.Tell(layout));
            ReceiveAny(_ => { });
        }
    }
}
