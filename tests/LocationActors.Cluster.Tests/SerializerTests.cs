using Akka.Actor;
using Akka.TestKit.Xunit2;
using LocationActors.Cluster.ClusterConfig;
using LocationActors.Cluster.Gateway;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Cluster.ProxyLinks;
using LocationActors.Cluster.Serialization;
using LocationActors.Domain.Aors;
using LocationActors.Domain.Contacts;
using LocationActors.Domain.LocDb;
using LocationActors.Domain.Registrations;
using LocationActors.TestSupport;

namespace LocationActors.Cluster.Tests;

[Trait(Tier.Name, Tier.Unit)]
public sealed class SerializerTests : TestKit
{
    private static readonly Aor Alice = Aor.FromColumns("alice", "example.com");
    private static readonly ContactBinding Full = BindingFields.Sample("alice", 1, "example.com") with
    {
        Received = "sip:198.51.100.1:5060", Path = "<sip:edge;lr>", Q = QValue.FromThousandths(700), Socket = "udp:127.0.0.1:5060",
        Methods = 0x1FFF, Instance = "<urn:uuid:1>", RegId = 1, Flags = 2, CFlags = 64,
    };

    /// <summary>One instance of every message that crosses the network, with every field set.</summary>
    public static readonly TheoryData<object> Messages = new()
    {
        new RegisterBindings(1, 42, new RegisterRequest(Alice,
            [new ContactUpdate("sip:alice@192.0.2.1", 3600, QValue.FromThousandths(500), "sip:198.51.100.1:5060", "<urn:uuid:1>", 2, 0x20, 1, 2)],
            "call-1", 7, "<sip:edge;lr>", "phone/1", "udp:127.0.0.1:5060")),
        new RegisterBindings(2, 43, new RegisterRequest(Aor.FromColumns("bob", null), [], "c", 1, RemoveAll: true)),
        new LookupContacts(1, 44, Alice, 1),
        new LookupContacts(1, 45, Alice),
        new LookupContacts(0, 62, Alice, Table: "cfa"),
        new RemoveContact(1, 46, Alice, "sip:alice@192.0.2.1"),
        new RemoveAor(1, 47, Alice),
        new DumpGroup(1, 48, "alice@example.com", 500),
        new GetGroupStatus(2, 60),
        new GroupStatus(61, 2, "akka.tcp://location@127.0.0.1:4053", "serving", 10, 12, [1, 2], ["akka.tcp://location@127.0.0.1:4053"], ["akka.tcp://location@127.0.0.1:4053"]),
        new RegisterResult(49, Alice, RegisterAction.Updated, null, null, [Full]),
        new RegisterResult(50, Alice, null, RegisterRejection.InvalidCSeq, "CSeq 1 is not above 2", []),
        new LookupResult(51, Alice, [Full, Full with { Ruid = "r2", Q = QValue.Unspecified, Methods = null }]),
        new ContactsRemoved(52, Alice, 2),
        new DumpPage(53, 1, [Full], "alice@example.com"),
        new DumpPage(54, 1, [], null),
        new GroupUnavailable(55, 1, "no active member"),
        new GroupBusy(56, 1, "loading"),
        new RequestRejected(57, "wrong group"),
        new GetGroupLayout(3),
        new GetGroupLayout(0, "cfa"),
        new ChangeMember(1, 2, MemberChange.TurnOff, "50 errors"),
        new MemberChanged(1, 2, MemberChange.TurnOff, true),
        new GroupLayout(3, 4, [new LocDbRow(3, 1, "mysql://u:p@db/loc", LocDbStatus.Maintenance, 5, LocDbRow.ZeroTime, true, 2)]),
        new GroupStatus(63, 1, "akka.tcp://location@127.0.0.1:4054", "serving", 1, 1, [2], [], [], MembersTurnedOff: 1, Resyncs: 2),
        new ChangeMember(1, 2, MemberChange.Activate, "asked by an operator"),
        new GetLocDb(),
        new LocDbSnapshot(2, [new LocDbRow(1, 1, "mysql://u:p@db/loc", LocDbStatus.On, 0, LocDbRow.DefaultTime, false, 1)], true),
        new GetClusterState(64),
        new ClusterState(65, [new ClusterNode("akka.tcp://location@127.0.0.1:4053", "Up", ["location"])], [new DomainState("location", true, 2)],
            new RegistrarOptions(true, true, "sip."), [new LocDbRow(1, 2, "mysql://u:***@db/loc", LocDbStatus.Off, 3, 1_767_225_600, false, 2)], true, false),
        new ChangeLocDbMember(66, 1, 2, MemberChange.Maintenance),
        new LocDbMemberChanged(67, 1, 2, MemberChange.Activate, true),
        new DropUnreachable(1, 68, Alice, "ruid-1", "call-1", 7),
        new UnreachableDropped(69, Alice, "ruid-1", true),
        new ProxyAnnounce("akka.tcp://proxy@127.0.0.1:4100/user/presence", ["udp:127.0.0.1:5060"], true),
        new ProxyLinked("akka.tcp://location@127.0.0.1:4053", true),
        new PingContacts(70, [new PingTarget("ruid-1", "alice@example.com", "sip:alice@192.0.2.1", "<sip:edge;lr;received=sip:198.51.100.1:5060>",
            "sip:198.51.100.1:5060", "udp:127.0.0.1:5060")], 4000),
        new PingsAnswered(71, ["ruid-1"], ["ruid-2"]),
        new PingsNotSent(72, ["ruid-3"]),
        new ContactChanges([new ContactChange(ContactChangeKind.KeepaliveFailed, "alice@example.com", "ruid-1", "sip:alice@192.0.2.1", 1_767_225_600,
            "sip:198.51.100.1:5060", "<sip:edge;lr>", "<urn:uuid:1>", 1_767_225_600_123, "location/1")]),
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_message_round_trips(object message)
    {
        var serializer = new LocationProtocolSerializer((ExtendedActorSystem)Sys);

        var copy = serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message));

        Assert.IsType(message.GetType(), copy);
        Assert.Equivalent(message, copy, strict: true);
    }

    [Fact]
    public void Every_message_type_has_a_sample_above()
    {
        var sampled = ((IEnumerable<object[]>)Messages).Select(row => row[0].GetType()).ToHashSet();
        Assert.Equal([], LocationProtocolSerializer.MessageTypes.Except(sampled));
        var protocolTypes = typeof(LocationProtocolSerializer).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsInterface: false } &&
                        (typeof(IGroupMessage).IsAssignableFrom(t) || typeof(ILocationGroupReply).IsAssignableFrom(t) ||
                         typeof(IClusterConfigMessage).IsAssignableFrom(t) || typeof(IGatewayRequest).IsAssignableFrom(t)));
        Assert.Equal([], protocolTypes.Except(LocationProtocolSerializer.MessageTypes));
    }

    [Fact]
    public void Unknown_manifests_are_refused()
    {
        var serializer = new LocationProtocolSerializer((ExtendedActorSystem)Sys);
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary([], "nope"));
    }
}
