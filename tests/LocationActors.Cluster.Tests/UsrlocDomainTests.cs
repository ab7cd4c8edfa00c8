using Akka.Actor;
using Akka.TestKit.Xunit2;
using LocationActors.Cluster.ClusterConfig;
using LocationActors.Cluster.Gateway;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.Storage;
using LocationActors.TestSupport;

namespace LocationActors.Cluster.Tests;

[Trait(Tier.Name, Tier.Unit)]
public sealed class UsrlocDomainTests : TestKit
{
    private static readonly DatabaseUrl Default = DatabaseUrl.Parse("mysql://u:p@master/kamailio");

    [Fact]
    public void P_usrlocs_domain_db_grammar_is_read()
    {
        var domains = UsrlocDomain.ParseList("location=cluster, cfa=single ,aliases=single;mysql://u:p@other:3307/al", Default);

        Assert.Equal(
        [
            new UsrlocDomain("location", DomainKind.Cluster), new UsrlocDomain("cfa", DomainKind.Single, Default),
            new UsrlocDomain("aliases", DomainKind.Single, DatabaseUrl.Parse("mysql://u:p@other:3307/al")),
        ], domains);
    }

    [Theory]
    [InlineData("", "no usrloc domain is configured")]
    [InlineData("location", "is not name=type[;url]")]
    [InlineData("location=spread", "neither cluster nor single")]
    [InlineData("location=cluster;mysql://u:p@h/d", "a cluster domain takes its databases from locdb")]
    [InlineData("location=cluster,location=single", "listed twice")]
    [InlineData("cfa=single;mysql://u:secret@h", "the database name is missing")]
    [InlineData("lo-cation=cluster", "is not a table name")]
    public void Malformed_lists_say_what_is_wrong(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => UsrlocDomain.ParseList(text, Default));
        Assert.Contains(reason, error.Message);
        Assert.DoesNotContain("secret", error.Message);
    }

    [Fact]
    public void The_gateway_refuses_what_cannot_be_a_group_and_forwards_the_rest()
    {
        var region = CreateTestProbe();
        var mirror = CreateTestProbe();
        var gateway = Sys.ActorOf(GroupsGateway.Props(region.Ref,
            [new UsrlocDomain("location", DomainKind.Cluster), new UsrlocDomain("cfa", DomainKind.Single, Default)], mirror.Ref, RegistrarOptions.Default));
        var alice = Aor.FromColumns("alice", null);

        gateway.Tell(new LookupContacts(1, 7, alice, Table: "nope"), TestActor);
        Assert.Contains("unknown usrloc domain 'nope'; known: location, cfa", ExpectMsg<RequestRejected>().Reason);
        gateway.Tell(new LookupContacts(0, 9, alice), TestActor);
        Assert.Contains("group ids start at 1, not 0", ExpectMsg<RequestRejected>().Reason);
        gateway.Tell(new LookupContacts(-5, 10, alice), TestActor);
        Assert.Contains("not -5", ExpectMsg<RequestRejected>().Reason);
        gateway.Tell(new LookupContacts(2, 11, alice, Table: "cfa"), TestActor);
        Assert.Contains("domain cfa is not partitioned", ExpectMsg<RequestRejected>().Reason);
        gateway.Tell(new Cluster.ClusterConfig.GroupLayout(1, 7, [])); // layouts come from the locdb mirror only
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        var lookup = new LookupContacts(0, 8, alice, Table: "cfa");
        gateway.Tell(lookup, TestActor);
        Assert.Equal(lookup, region.ExpectMsg<LookupContacts>());
        Assert.Equal(TestActor, region.LastSender); // forwarded: the group answers the asker directly
    }

    [Fact]
    public void The_gateway_passes_on_only_an_operators_changes_and_says_whether_locdb_has_the_row()
    {
        var mirror = CreateTestProbe();
        var gateway = Sys.ActorOf(GroupsGateway.Props(CreateTestProbe().Ref, [new UsrlocDomain("location", DomainKind.Cluster)], mirror.Ref,
            RegistrarOptions.Default));

        gateway.Tell(new ChangeLocDbMember(3, 1, 2, MemberChange.TurnOff), TestActor);
        Assert.Contains("TurnOff is not an operator's change", ExpectMsg<RequestRejected>().Reason);
        mirror.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        gateway.Tell(new ChangeLocDbMember(4, 1, 2, MemberChange.Maintenance), TestActor);
        var change = mirror.ExpectMsg<ChangeMember>();
        Assert.Equal((1, 2, MemberChange.Maintenance), (change.GroupId, change.No, change.Change));
        mirror.Reply(new MemberChanged(1, 2, MemberChange.Maintenance, Found: false));
        Assert.Equal(new LocDbMemberChanged(4, 1, 2, MemberChange.Maintenance, false), ExpectMsg<LocDbMemberChanged>());
    }

    [Fact]
    public void Ids_that_cannot_name_a_group_are_not_routed()
    {
        var extractor = new GroupMessageExtractor();
        Assert.Null(extractor.EntityId(new LookupContacts(-1, 1, Aor.FromColumns("a", null))));
        Assert.Null(extractor.EntityId(new LookupContacts(1, 1, Aor.FromColumns("a", null), Table: "a/b")));
        Assert.Null(extractor.EntityId("not a group message"));
    }

    [Fact]
    public void Every_group_is_a_shard_of_its_own_so_sharding_can_spread_groups_evenly()
    {
        var extractor = new GroupMessageExtractor();
        var shards = Enumerable.Range(1, 1000).Select(id => extractor.ShardId(new LookupContacts(id, 1, Aor.FromColumns("a", null)))).ToList();

        Assert.Equal(1000, shards.Distinct().Count()); // hashed into 100 shards, 1,000 groups would share them 10 a shard
        Assert.Equal("location/7", shards[6]);
        Assert.Equal("location/7", extractor.ShardId("location/7"));
    }

    [Theory]
    [InlineData("location", 2, "location/2")]
    [InlineData("cfa", 0, "cfa/0")]
    public void Entity_ids_name_domain_and_group(string table, int group, string id)
    {
        Assert.Equal(id, GroupMessageExtractor.EntityIdOf(table, group));
        Assert.Equal((table, group), GroupMessageExtractor.Parse(id));
        Assert.Equal(id, new GroupMessageExtractor().EntityId(new LookupContacts(group, 1, Aor.FromColumns("a", null), Table: table)));
    }
}
