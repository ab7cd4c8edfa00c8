using Akka.Actor;
using Akka.Configuration;
using BenchmarkDotNet.Attributes;
using LocationActors.Cluster.LocationGroups;

namespace LocationActors.Benchmarks;

/// <summary>
/// The same message pairs over real Akka remoting: two actor systems in this process on loopback TCP, a request
/// sent to an actor of the other system that answers with the canned reply, one request in flight. This is the cost
/// the serializer choice adds to, so it shows how much of a remote round trip the serializer is.
/// </summary>
[MemoryDiagnoser]
public class RemotingBenchmarks
{
    // Fixed ports, away from every port the project's scripts and other runs use (see bench/hotpaths.sh).
    private const int ClientPort = 3533;
    private const int ServerPort = 3534;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private ActorSystem _client = null!;
    private ActorSystem _server = null!;
    private IActorRef _group = null!;

    [Params(WireFormat.Location, WireFormat.Newtonsoft, WireFormat.Hyperion)]
    public WireFormat Format { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _server = ActorSystem.Create("bench", Config(ServerPort));
        _client = ActorSystem.Create("bench", Config(ClientPort));
        _server.ActorOf(Props.Create(() => new AnsweringGroup()), "group");
        _group = _client.ActorSelection($"akka.tcp://bench@127.0.0.1:{ServerPort}/user/group").ResolveOne(Timeout).Result;
        // The first messages set up the association and JIT the path; check the replies arrive intact.
        var register = _group.Ask<RegisterResult>(Messages.Register, Timeout).Result;
        var lookup = _group.Ask<LookupResult>(Messages.Lookup, Timeout).Result;
        if (register.Bindings.Count != 1 || lookup.Contacts.Count != 2)
            throw new InvalidOperationException("the replies came back changed");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Terminate().Wait(Timeout);
        _server.Terminate().Wait(Timeout);
    }

    [Benchmark]
    public Task<RegisterResult> Register() => _group.Ask<RegisterResult>(Messages.Register, Timeout);

    [Benchmark]
    public Task<LookupResult> Lookup() => _group.Ask<LookupResult>(Messages.Lookup, Timeout);

    // Our bindings are those of hocon/node.hocon; Newtonsoft is what Akka uses for any message nothing else is
    // bound to; Hyperion is bound the way its package documents.
    private const string LocationBindings = """
        akka.actor {
          serializers.location = "LocationActors.Cluster.Serialization.LocationProtocolSerializer, LocationActors.Cluster"
          serialization-bindings {
            "LocationActors.Cluster.LocationGroups.IGroupMessage, LocationActors.Cluster" = location
            "LocationActors.Cluster.LocationGroups.ILocationGroupReply, LocationActors.Cluster" = location
          }
        }
        """;

    private const string HyperionBindings = """
        akka.actor {
          serializers.hyperion = "Akka.Serialization.HyperionSerializer, Akka.Serialization.Hyperion"
          serialization-bindings { "System.Object" = hyperion }
        }
        """;

    private const string Remoting = """
        akka.loglevel = WARNING
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp.hostname = 127.0.0.1
        """;

    private Config Config(int port) =>
        ConfigurationFactory.ParseString(Format switch
            {
                WireFormat.Location => LocationBindings,
                WireFormat.Hyperion => HyperionBindings,
                _ => "",
            })
            .WithFallback(ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.port = " + port))
            .WithFallback(ConfigurationFactory.ParseString(Remoting))
            .WithFallback(ConfigurationFactory.ParseString(Wire.NewtonsoftConverters));

    /// <summary>Answers like a location group, without the group's work: the reply is fixed.</summary>
    private sealed class AnsweringGroup : ReceiveActor
    {
        public AnsweringGroup()
        {
            Receive<RegisterBindings>(_ => Sender.Tell(Messages.RegisterReply));
            Receive<LookupContacts>(_ => Sender.Tell(Messages.LookupReply));
        }
    }
}
