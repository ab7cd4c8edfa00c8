using LocationActors.Cluster.LocationGroups;
using LocationActors.TestSupport;

namespace LocationActors.Cluster.Tests;

/// <summary>The CSeqs of removals, kept against older copies of REGISTERs that arrive late; no actor, no database.</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class RemovedCSeqsTests
{
    private const long Now = BindingFields.Now;
    private static readonly Domain.Contacts.ContactBinding Bound = BindingFields.Sample("ann") with { CallId = "call-a", CSeq = 5 };

    [Fact]
    public void An_older_copy_of_the_call_id_that_removed_a_contact_is_overtaken()
    {
        var removed = new RemovedCSeqs();
        removed.Removed("ann", Bound, "call-a", 7, Now);

        Assert.Equal(7, removed.Overtaken("ann", "call-a", 6));
        Assert.Null(removed.Overtaken("ann", "call-a", 7));
        Assert.Null(removed.Overtaken("ann", "call-a", 8));
        Assert.Null(removed.Overtaken("ann", "call-b", 1)); // another Call-ID: a phone that restarted
        Assert.Null(removed.Overtaken("bob", "call-a", 1));
    }

    [Fact]
    public void A_removal_by_another_call_id_keeps_the_removed_bindings_own_cseq()
    {
        var removed = new RemovedCSeqs();
        removed.Removed("ann", Bound, "call-other", 50, Now);

        Assert.Equal(5, removed.Overtaken("ann", "call-a", 4));
        Assert.Null(removed.Overtaken("ann", "call-other", 49));
    }

    [Fact]
    public void The_highest_removal_is_kept_and_forgotten_after_the_keep_time()
    {
        var removed = new RemovedCSeqs();
        removed.Removed("ann", Bound, "call-a", 9, Now);
        removed.Removed("ann", Bound, "call-a", 7, Now + 10);
        Assert.Equal(9, removed.Overtaken("ann", "call-a", 8));

        removed.Expire(Now + RemovedCSeqs.KeepSeconds);
        Assert.Equal(1, removed.Count);
        removed.Expire(Now + RemovedCSeqs.KeepSeconds + 1);
        Assert.Equal(0, removed.Count);
        Assert.Null(removed.Overtaken("ann", "call-a", 8));
    }
}
