using Akka.Actor;
using LocationActors.Cluster.DbHandles;
using LocationActors.Cluster.LocationGroups;
using LocationActors.Domain.Registrations;
using LocationActors.TestSupport;

namespace LocationActors.Cluster.Tests;

/// <summary>A write's answers and what each write policy makes of them; no actor, no database.</summary>
[Trait(Tier.Name, Tier.Unit)]
public sealed class PendingWriteTests
{
    private static PendingWrite Write(params int[] members) =>
        new(ActorRefs.Nobody, "ok", 1, "ann", AorBindings.Empty, [.. members], [], [], new WriteRows(1, [], ["r1"]));

    private static readonly Func<int, bool> BothOn = no => no is 1 or 2;

    [Fact]
    public void The_last_awaited_answer_completes_it_and_a_late_or_unasked_one_is_ignored()
    {
        var write = Write(1, 2);

        Assert.False(write.Answer(1, null));
        Assert.False(write.Answer(1, null)); // answered already
        Assert.False(write.Answer(3, null)); // never asked
        Assert.True(write.Answer(2, "timeout"));
        Assert.Equal((1, 2), (write.Stored, write.Asked));
    }

    [Fact]
    public void A_write_stops_waiting_for_a_member_being_copied_to_unless_no_other_member_has_it()
    {
        var stored = Write(1, 2);
        stored.Answer(1, null);
        Assert.True(stored.StopAwaiting(2)); // member 1 stored it: done, acknowledged without member 2
        Assert.Equal(WriteVerdict.Acknowledged, stored.Verdict(WritePolicy.AllActive, BothOn));

        var inFlight = Write(1, 2);
        Assert.False(inFlight.StopAwaiting(2)); // member 1 still to answer
        Assert.True(inFlight.Answer(1, null));
        Assert.False(inFlight.StopAwaiting(2)); // no longer in flight there

        var failedElsewhere = Write(1, 2);
        failedElsewhere.StopAwaiting(2);
        Assert.False(failedElsewhere.Answer(1, "deadlock")); // stored nowhere it was waited for: member 2 decides after all
        Assert.True(failedElsewhere.Answer(2, null));
        Assert.Equal(1, failedElsewhere.Stored);

        var trailingFirst = Write(1, 2);
        trailingFirst.StopAwaiting(2);
        Assert.False(trailingFirst.Answer(2, null)); // behind the copy, answered before member 1
        Assert.True(trailingFirst.Answer(1, "deadlock"));
        Assert.Equal(WriteVerdict.WaitForMissing, trailingFirst.Verdict(WritePolicy.AllActive, BothOn)); // stored on 2, missed on 1

        var only = Write(2);
        Assert.False(only.StopAwaiting(2)); // nobody else has it: it waits for the copy
        Assert.True(only.Answer(2, null));
    }

    [Fact]
    public void All_active_acknowledges_only_what_every_member_taking_traffic_stored()
    {
        var stored = Write(1, 2);
        stored.Answer(1, null);
        stored.Answer(2, null);
        Assert.Equal(WriteVerdict.Acknowledged, stored.Verdict(WritePolicy.AllActive, BothOn));

        // Missed by a member that stays on: the answer waits for its fate.
        var missed = Write(1, 2);
        missed.Answer(1, null);
        missed.Answer(2, "connection lost");
        Assert.Equal(WriteVerdict.WaitForMissing, missed.Verdict(WritePolicy.AllActive, BothOn));
        Assert.Equal([2], missed.MissingOn(BothOn));
        // ... and once that member has left traffic, it no longer counts.
        Assert.Equal(WriteVerdict.Acknowledged, missed.Verdict(WritePolicy.AllActive, no => no == 1));
        // Stored only on a member that has left traffic since: not stored where it counts.
        Assert.Equal(WriteVerdict.Unavailable, missed.Verdict(WritePolicy.AllActive, no => no == 2));

        // A row refused as invalid is refused everywhere: no waiting.
        var refused = Write(1, 2);
        refused.Answer(1, null);
        refused.Answer(2, "too long", refused: true);
        Assert.Equal(WriteVerdict.Unavailable, refused.Verdict(WritePolicy.AllActive, BothOn));
        Assert.Empty(refused.MissingOn(BothOn));
    }

    [Fact]
    public void One_and_majority_count_the_members_that_answered()
    {
        var half = Write(1, 2);
        half.Answer(1, null);
        half.Answer(2, "timeout");

        Assert.Equal(WriteVerdict.Acknowledged, half.Verdict(WritePolicy.One, BothOn));
        Assert.Equal(WriteVerdict.Unavailable, half.Verdict(WritePolicy.Majority, BothOn));

        var none = Write(1);
        none.Answer(1, "timeout");
        Assert.Equal(WriteVerdict.Unavailable, none.Verdict(WritePolicy.One, BothOn));
    }

    [Fact]
    public void A_member_asked_again_forgets_its_earlier_failure_and_one_that_stored_it_is_not_asked()
    {
        var write = Write(1, 2, 3);
        write.Answer(1, null);
        write.Answer(2, "timeout");

        Assert.False(write.AskAgain(1)); // stored it already
        Assert.False(write.AskAgain(3)); // still being asked
        Assert.True(write.AskAgain(2));
        Assert.Empty(write.Failures);
        Assert.False(write.Answer(2, null)); // 3 has not answered yet
        Assert.True(write.Answer(3, null));
        Assert.Equal(WriteVerdict.Acknowledged, write.Verdict(WritePolicy.AllActive, no => no is >= 1 and <= 3));
    }

    [Fact]
    public void A_member_asked_again_after_its_copy_began_is_awaited_again_not_also_trailing()
    {
        var write = Write(1, 2, 3);
        write.Answer(1, null);
        Assert.False(write.StopAwaiting(2)); // copy to 2 began: the write trails it there; 3 is still awaited

        Assert.True(write.AskAgain(2)); // a new resync of 2 starts while the write is in flight: it is sent again

        Assert.Equal([2, 3], write.Awaiting.Order());
        Assert.Empty(write.Trailing); // one answer of 2 is awaited, not two
        Assert.False(write.Answer(2, "timeout"));
        Assert.True(write.Answer(3, null));
        Assert.Equal([2], write.Failures.Select(f => f.No));
    }
}
