using Akka.Actor;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Aors;
using LocationActors.TestSupport;

namespace LocationActors.Cluster.Tests;

/// <summary>Shared-databases reads in flight: answered once, and those of a member that failed or left taken together.</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class AorReadsInFlightTests
{
    private static LookupContacts Lookup(string user) => new(1, 1, Aor.FromColumns(user, null));

    [Fact]
    public void A_read_is_answered_once()
    {
        var reads = new AorReadsInFlight();
        var token = reads.Start("ann", Lookup("ann"), ActorRefs.Nobody, memberNo: 1, tries: 1);

        Assert.Equal(("ann", 1, 1), reads.Take(token) is { } read ? (read.Key, read.MemberNo, read.Tries) : default);
        Assert.Null(reads.Take(token)); // a late second answer (the read was sent elsewhere meanwhile) is ignored
    }

    [Fact]
    public void The_reads_of_a_member_are_taken_together_or_one_by_token()
    {
        var reads = new AorReadsInFlight();
        var first = reads.Start("ann", Lookup("ann"), ActorRefs.Nobody, 1, 1);
        reads.Start("bob", Lookup("bob"), ActorRefs.Nobody, 1, 1);
        var onTwo = reads.Start("cid", Lookup("cid"), ActorRefs.Nobody, 2, 1);

        Assert.Equal(["ann"], reads.TakeSentTo(1, first).Select(r => r.Key));
        Assert.Equal(["bob"], reads.TakeSentTo(1).Select(r => r.Key));
        Assert.Empty(reads.TakeSentTo(1));
        Assert.Equal(1, reads.Count);
        Assert.NotNull(reads.Take(onTwo));
    }
}
