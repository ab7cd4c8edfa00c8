using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Akka.Util;
using BenchmarkDotNet.Attributes;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Cluster.Serialization;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.Registrations;

namespace LocationActors.Benchmarks;

/// <summary>The serializers compared: ours, Akka's default, and the binary one Akka.NET used to ship as the next default.</summary>
public enum WireFormat
{
    /// <summary><see cref="LocationProtocolSerializer"/>: System.Text.Json, source-generated contract, short manifests.</summary>
    Location,

    /// <summary>Akka's default for user messages: Newtonsoft.Json with CLR type names in the payload.</summary>
    Newtonsoft,

    /// <summary>Hyperion (Akka.Serialization.Hyperion): binary, type names in the payload.</summary>
    Hyperion,
}

/// <summary>
/// One message pair of the hot paths (REGISTER → result with its binding, lookup → two contacts) through each
/// serializer as remoting calls it: <c>ToBinary</c> (+ manifest) on the sender, <c>FromBinary</c> on the receiver,
/// for the request and for the reply. Setup checks every serializer gives back an equal message.
/// </summary>
[MemoryDiagnoser]
public class SerializationBenchmarks
{
    private ActorSystem _system = null!;
    private Wire _wire = null!;

    [Params(WireFormat.Location, WireFormat.Newtonsoft, WireFormat.Hyperion)]
    public WireFormat Format { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("serialization", ConfigurationFactory.ParseString("akka.loglevel = WARNING")
            .WithFallback(ConfigurationFactory.ParseString(Wire.NewtonsoftConverters)));
        _wire = Wire.For(Format, (ExtendedActorSystem)_system);
        foreach (var message in Messages.All)
            Messages.CheckRoundTrip(_wire, message, (ExtendedActorSystem)_system);
    }

    [GlobalCleanup]
    public void Cleanup() => _system.Terminate().Wait();

    // The request's copy is kept in a field so the work on it cannot be optimised away; the reply's is returned.
    private object? _request;

    /// <summary>RegisterBindings there, RegisterResult back.</summary>
    [Benchmark]
    public object RegisterPair()
    {
        _request = _wire.RoundTrip(Messages.Register);
        return _wire.RoundTrip(Messages.RegisterReply);
    }

    /// <summary>LookupContacts there, LookupResult (two contacts) back.</summary>
    [Benchmark]
    public object LookupPair()
    {
        _request = _wire.RoundTrip(Messages.Lookup);
        return _wire.RoundTrip(Messages.LookupReply);
    }
}

/// <summary>
/// The messages measured, the same for the in-process and the remoting benchmarks. Lists are <see cref="List{T}"/>, as the
/// group builds them (<c>ToList()</c>).
/// </summary>
public static class Messages
{
    public static readonly RegisterBindings Register = new(3, 1_000_001, Samples.Register(4321, 2));

    public static readonly RegisterResult RegisterReply = new(1_000_001, Register.Request.Aor, RegisterAction.Updated, null, null,
        new List<ContactBinding> { Samples.Binding(4321) with { CSeq = 2 } });

    public static readonly LookupContacts Lookup = new(3, 1_000_002, Samples.AorOf(4321));

    public static readonly LookupResult LookupReply = new(1_000_002, Lookup.Aor,
        new List<ContactBinding>
        {
            Samples.Binding(4321) with { Q = QValue.FromThousandths(1000), Instance = "<urn:uuid:2f4c9a70-1d3e-4b8a-9c55-0a1b2c3d4e5f>", RegId = 1 },
            Samples.Binding(4322),
        });

    public static readonly object[] All = [Register, RegisterReply, Lookup, LookupReply];

    /// <summary>
    /// The copy must equal the original. Records with lists do not compare by value, so both are written with our
    /// serializer and the bytes compared: any field lost or changed on the way shows.
    /// </summary>
    public static void CheckRoundTrip(Wire wire, object message, ExtendedActorSystem system)
    {
        var reference = new LocationProtocolSerializer(system);
        var copy = wire.RoundTrip(message);
        if (!reference.ToBinary(copy).AsSpan().SequenceEqual(reference.ToBinary(message)))
            throw new InvalidOperationException($"{wire.Name} does not round-trip {message.GetType().Name}");
    }
}

/// <summary>One serializer used as remoting uses it.</summary>
public sealed class Wire
{
    private readonly Func<object, (byte[] Bytes, string Manifest)> _write;
    private readonly Func<byte[], string, Type, object> _read;

    private Wire(string name, Func<object, (byte[], string)> write, Func<byte[], string, Type, object> read)
    {
        Name = name;
        _write = write;
        _read = read;
    }

    public string Name { get; }

    /// <summary>What Akka's Newtonsoft serializer needs to carry the protocol at all (see NewtonsoftConverters.cs).</summary>
    public const string NewtonsoftConverters = """
        akka.actor.serialization-settings.json.converters = [
          "LocationActors.Benchmarks.NewtonsoftAorConverter, LocationActors.Benchmarks",
          "LocationActors.Benchmarks.NewtonsoftQValueConverter, LocationActors.Benchmarks"
        ]
        """;

    public static Wire For(WireFormat format, ExtendedActorSystem system)
    {
        switch (format)
        {
            case WireFormat.Location:
            {
                var serializer = new LocationProtocolSerializer(system);
                return new Wire("location (System.Text.Json)", o => (serializer.ToBinary(o), serializer.Manifest(o)),
                    (bytes, manifest, _) => serializer.FromBinary(bytes, manifest));
            }
            case WireFormat.Newtonsoft:
                // The instance Akka made from its configuration (with the converters), as remoting would use it.
                return Typed("Newtonsoft.Json (Akka default)", system.Serialization.FindSerializerForType(typeof(object)));
            case WireFormat.Hyperion:
                return Typed("Hyperion", new HyperionSerializer(system));
            default:
                throw new ArgumentOutOfRangeException(nameof(format));
        }
    }

    // Both embed the type in the payload; remoting still sends the type name as the manifest when IncludeManifest says so.
    private static Wire Typed(string name, Serializer serializer) =>
        new(name, o => (serializer.ToBinary(o), serializer.IncludeManifest ? o.GetType().TypeQualifiedName() : ""),
            (bytes, _, type) => serializer.FromBinary(bytes, type));

    public (byte[] Bytes, string Manifest) Write(object message) => _write(message);

    public object Read(byte[] bytes, string manifest, Type type) => _read(bytes, manifest, type);

    public object RoundTrip(object message)
    {
        var (bytes, manifest) = _write(message);
        return _read(bytes, manifest, message.GetType());
    }
}
