using Akka.Actor;
using Akka.TestKit.Xunit2;
using LocationActors.Cluster.Gateway;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.Storage;

namespace LocationActors.Cluster.Tests;

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
    public void The_gateway_refuses_unknown_domains_and_forwards_the_rest()
    {
        var region = CreateTestProbe();
        var gateway = Sys.ActorOf(GroupsGateway.Props(region.Ref, ["location", "cfa"]));
        var alice = Aor.FromColumns("alice", null);

        gateway.Tell(new LookupContacts(1, 7, alice, Table: "nope"), TestActor);
        Assert.Contains("unknown usrloc domain 'nope'; known: location, cfa", ExpectMsg<RequestRejected>().Reason);

        var lookup = new LookupContacts(0, 8, alice, Table: "cfa");
        gateway.Tell(lookup, TestActor);
        Assert.Equal(lookup, region.ExpectMsg<LookupContacts>());
        Assert.Equal(TestActor, region.LastSender); // forwarded: the group answers the asker directly
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
